//! Rendering cost of a feed page: 20 and 100 items, 2–6 KB Chinese bodies,
//! every optional field filled (source, copyright, contributors, image, tags).
//!
//! `cargo bench --bench render -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use syndic::domain::{
    AbsoluteUrl, Article, ArticleFields, ArticleStatus, Category, CategoryFields, Contributor,
    Image, SiteSettings, Slug, Source, Title,
};
use syndic::render::{atom, json_feed, rss, Feed, FeedLinks};

const PARAGRAPHS: [&str; 6] = [
    "国家能源局今日发布数据显示，今年前三季度全国新型储能装机规模同比增长超过一倍，多个省份的独立储能电站已实现市场化运营。",
    "业内人士指出，随着电力现货市场建设提速，储能项目的收益模式正从单一的容量租赁向“现货套利 + 辅助服务”转变。",
    "记者在东部沿海某工业园区看到，一座百兆瓦级电站正在进行并网调试，工作人员表示预计年底前投入商业运行。",
    "专家提醒，安全标准与消防规范仍需进一步完善，“既要发展速度，也要守住安全底线”。",
    "与此同时，海外市场需求旺盛，国内企业的订单已排至明年第二季度，部分企业正在加快海外产能布局。",
    "分析认为，明年行业将进入整合期，技术路线、成本控制与运营能力将成为企业竞争的关键因素。",
];

fn url(raw: &str) -> AbsoluteUrl {
    AbsoluteUrl::parse(raw).unwrap_or_else(|e| panic!("bench URL {raw}: {e}"))
}

/// An HTML body of roughly `target` bytes of Chinese paragraphs.
fn body(seed: usize, target: usize) -> String {
    let mut html = String::with_capacity(target + 512);
    let mut i = seed;
    while html.len() < target {
        html.push_str("<p>");
        html.push_str(PARAGRAPHS[i % PARAGRAPHS.len()]);
        html.push_str(" <a href=\"https://news.example.cn/topic/储能\">储能 &amp; 电网</a></p>");
        i += 1;
    }
    html
}

fn article(id: i64) -> Article {
    let index = usize::try_from(id).unwrap_or_default();
    // Bodies from 2 KB to 6 KB, spread over the items.
    let size = 2_048 + (index * 977) % 4_096;
    let published = Utc
        .timestamp_opt(1_768_464_000 - id * 600, 0)
        .single()
        .unwrap_or_default();
    let category = ["world", "tech", "finance"][index % 3];
    Article {
        id,
        fields: ArticleFields {
            external_id: None,
            category: Slug::parse(category).unwrap_or_else(|e| panic!("{e}")),
            title: Title::parse(&format!("储能电站 & <电网> 调峰能力提升 第{id}期 🚀"))
                .unwrap_or_else(|e| panic!("{e}")),
            summary: Some(format!("<p>{}</p>", PARAGRAPHS[index % PARAGRAPHS.len()])),
            content_html: Some(body(index, size)),
            url: Some(url(&format!(
                "https://news.example.cn/{category}/2026/{id}.html"
            ))),
            author: Some("陆林娟".to_owned()),
            contributors: vec![
                Contributor {
                    name: "贾华".to_owned(),
                    role: Some("记者".to_owned()),
                },
                Contributor {
                    name: "王芳".to_owned(),
                    role: Some("摄影".to_owned()),
                },
            ],
            source: Some(Source {
                name: "海西都市报".to_owned(),
                url: url(&format!("https://haixi.example/news/{id}.html")),
                feed_url: (index % 2 == 0).then(|| url("https://haixi.example/rss.xml")),
            }),
            copyright: (index % 3 == 0).then(|| "© 2026 海西都市报".to_owned()),
            tags: vec!["储能".to_owned(), "电网".to_owned(), "新能源".to_owned()],
            image: Some(Image {
                url: url(&format!("https://img.example.cn/2026/{id}.jpg")),
                mime_type: "image/jpeg".to_owned(),
                length: Some(700_000 + u64::try_from(id).unwrap_or_default()),
                width: Some(1280),
                height: Some(720),
                caption: Some("储能电站现场".to_owned()),
            }),
            status: ArticleStatus::Published,
        },
        published_at: published,
        updated_at: published,
    }
}

fn categories() -> Vec<Category> {
    [("world", "国际"), ("tech", "科技"), ("finance", "财经")]
        .into_iter()
        .enumerate()
        .map(|(i, (slug, name))| Category {
            id: i64::try_from(i).unwrap_or_default() + 1,
            slug: Slug::parse(slug).unwrap_or_else(|e| panic!("{e}")),
            fields: CategoryFields {
                name: name.to_owned(),
                description: format!("{name}新闻"),
                copyright: (i == 0).then(|| "© 2026 国际部".to_owned()),
            },
            updated_at: Utc
                .timestamp_opt(1_768_000_000, 0)
                .single()
                .unwrap_or_default(),
        })
        .collect()
}

fn bench_render(c: &mut Criterion) {
    let site = SiteSettings {
        title: "南方新闻".to_owned(),
        url: url("https://news.example.cn/"),
        language: "zh-CN".to_owned(),
        default_copyright: Some("© 2026 南方新闻社".to_owned()),
        icon: None,
        logo: None,
    };
    let categories = categories();
    let hubs = vec!["https://hub.example.com/".to_owned()];
    let all: Vec<Article> = (1..=100).map(article).collect();

    let mut group = c.benchmark_group("render");
    for count in [20, 100] {
        let feed = Feed {
            site: &site,
            category: None,
            facet: None,
            deleted: &[],
            categories: &categories,
            items: &all[..count],
            links: FeedLinks {
                self_url: "https://feeds.example.cn/feeds/all.rss".to_owned(),
                alternate: "https://news.example.cn/".to_owned(),
                first: "https://feeds.example.cn/feeds/all.rss".to_owned(),
                last: "https://feeds.example.cn/feeds/all.rss?page=5".to_owned(),
                next: Some("https://feeds.example.cn/feeds/all.rss?page=2".to_owned()),
                previous: None,
            },
            hubs: &hubs,
            updated: Utc
                .timestamp_opt(1_768_464_000, 0)
                .single()
                .unwrap_or_default(),
            ttl_minutes: 5,
        };
        let input_bytes: usize = feed
            .items
            .iter()
            .filter_map(|a| a.fields.content_html.as_ref())
            .map(String::len)
            .sum();
        group.throughput(Throughput::Bytes(
            u64::try_from(input_bytes).unwrap_or_default(),
        ));
        group.bench_with_input(BenchmarkId::new("rss", count), &feed, |b, feed| {
            b.iter(|| rss(black_box(feed)))
        });
        group.bench_with_input(BenchmarkId::new("atom", count), &feed, |b, feed| {
            b.iter(|| atom(black_box(feed)))
        });
        group.bench_with_input(BenchmarkId::new("json_feed", count), &feed, |b, feed| {
            b.iter(|| json_feed(black_box(feed)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
