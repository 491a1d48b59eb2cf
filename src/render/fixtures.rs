//! Fixed test data: Chinese text, `& < > " ]]>` and emoji everywhere, a full
//! copyright chain, sources with and without a feed URL. Timestamps are fixed
//! so snapshots never move.

use chrono::{DateTime, TimeZone, Utc};

use super::{Feed, FeedLinks};
use crate::domain::{
    AbsoluteUrl, Article, ArticleFields, ArticleStatus, Category, CategoryFields, Contributor,
    Image, SiteSettings, Slug, Source, Title,
};

pub fn url(raw: &str) -> AbsoluteUrl {
    AbsoluteUrl::parse(raw).expect("fixture URL")
}

pub fn at(seconds: i64) -> DateTime<Utc> {
    // 2026-01-15T08:00:00Z plus `seconds`.
    Utc.timestamp_opt(1_768_464_000 + seconds, 0)
        .single()
        .expect("fixture time")
}

pub fn site() -> SiteSettings {
    SiteSettings {
        title: "南方新闻 & <News> \"日报\"".to_owned(),
        url: url("https://news.example.cn/"),
        language: "zh-CN".to_owned(),
        default_copyright: Some("© 2026 南方新闻社 版权所有".to_owned()),
        icon: Some(url("https://news.example.cn/icon-512.png")),
        logo: Some(url("https://news.example.cn/logo-wide.png")),
    }
}

pub fn categories() -> Vec<Category> {
    vec![
        Category {
            id: 1,
            slug: Slug::parse("world").expect("slug"),
            fields: CategoryFields {
                name: "国际 & 世界".to_owned(),
                description: "国际新闻 <每日> 更新 🌏".to_owned(),
                copyright: Some("© 2026 国际部 \"World\" desk".to_owned()),
            },
            updated_at: at(-86_400),
        },
        Category {
            id: 2,
            slug: Slug::parse("tech").expect("slug"),
            fields: CategoryFields {
                name: "科技".to_owned(),
                description: String::new(),
                copyright: None,
            },
            updated_at: at(-86_400),
        },
    ]
}

fn fields(category: &str, title: &str) -> ArticleFields {
    ArticleFields {
        external_id: None,
        category: Slug::parse(category).expect("slug"),
        title: Title::parse(title).expect("title"),
        summary: None,
        content_html: None,
        url: None,
        author: None,
        contributors: Vec::new(),
        source: None,
        copyright: None,
        tags: Vec::new(),
        image: None,
        status: ArticleStatus::Published,
    }
}

/// Three articles, newest first: a full one with its own copyright, one that
/// inherits its category's copyright, one that inherits the site's.
pub fn articles() -> Vec<Article> {
    let full = Article {
        id: 42,
        fields: ArticleFields {
            summary: Some(
                "<p title=\"]]>\">摘要 &amp; &lt;要点&gt; \"引号\" ]]> 😀</p>".to_owned(),
            ),
            content_html: Some(
                "<p>正文第一段 <b>加粗</b> &amp; ]]&gt; 🎉</p><p>第二段：储能电站并网。</p>"
                    .to_owned(),
            ),
            url: Some(url("https://news.example.cn/world/2026/42.html")),
            author: Some("陆林娟".to_owned()),
            contributors: vec![
                Contributor {
                    name: "贾华".to_owned(),
                    role: Some("记者".to_owned()),
                },
                Contributor {
                    name: "王芳".to_owned(),
                    role: None,
                },
            ],
            source: Some(Source {
                name: "海西都市报 & <晚报>".to_owned(),
                url: url("https://haixi.example/news/2026/0115.html?from=rss&id=7"),
                feed_url: Some(url("https://haixi.example/rss.xml")),
            }),
            copyright: Some("© 2026 海西都市报 <保留所有权利>".to_owned()),
            tags: vec!["储能".to_owned(), "电网 & \"能源\"".to_owned()],
            image: Some(Image {
                url: url("https://img.example.cn/2026/42.jpg"),
                mime_type: "image/jpeg".to_owned(),
                length: Some(771_060),
                width: Some(1280),
                height: Some(720),
                caption: Some("储能电站 & <调峰> 现场".to_owned()),
            }),
            ..fields("world", "储能电站 & <电网> \"调峰\" ]]> 🚀 上线")
        },
        published_at: at(3_600),
        updated_at: at(7_200),
    };
    let inherits_category = Article {
        id: 41,
        fields: ArticleFields {
            summary: Some("海外市场观察 🌐".to_owned()),
            source: Some(Source {
                name: "环球时报".to_owned(),
                url: url("https://global.example.com/a/41.html"),
                feed_url: None,
            }),
            image: Some(Image {
                url: url("https://img.example.cn/2026/41.png"),
                mime_type: "image/png".to_owned(),
                length: None,
                width: None,
                height: None,
                caption: None,
            }),
            ..fields("world", "东京股市收盘上涨")
        },
        published_at: at(1_800),
        updated_at: at(1_800),
    };
    let inherits_site = Article {
        id: 40,
        fields: fields("tech", "国产芯片 <量产>"),
        published_at: at(0),
        updated_at: at(0),
    };
    vec![full, inherits_category, inherits_site]
}

pub fn links(extension: &str) -> FeedLinks {
    let base = "https://feeds.example.cn/feeds/all";
    FeedLinks {
        self_url: format!("{base}.{extension}?limit=3&page=1"),
        alternate: "https://news.example.cn/".to_owned(),
        first: format!("{base}.{extension}?limit=3"),
        last: format!("{base}.{extension}?limit=3&page=2"),
        next: Some(format!("{base}.{extension}?limit=3&page=2")),
        previous: None,
    }
}

pub fn hubs() -> Vec<String> {
    vec!["https://hub.example.com/".to_owned()]
}

/// The site-wide feed over `items`.
pub fn feed<'a>(
    site: &'a SiteSettings,
    categories: &'a [Category],
    items: &'a [Article],
    hubs: &'a [String],
    extension: &str,
) -> Feed<'a> {
    Feed {
        site,
        category: None,
        facet: None,
        deleted: &[],
        categories,
        items,
        links: links(extension),
        hubs,
        updated: at(7_200),
        ttl_minutes: 5,
    }
}
