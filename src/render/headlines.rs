//! The headlines JSON of one category (`/api/v1/headlines`), the data the
//! partner widgets show.

use serde_json::{json, Value};

use super::article_url;
use crate::domain::{format_time, Article, Category, SiteSettings};

/// The latest headlines of one category.
#[derive(Debug, Clone, Copy)]
pub struct Headlines<'a> {
    /// The publishing site (for article URLs built from its address).
    pub site: &'a SiteSettings,
    /// The category shown.
    pub category: &'a Category,
    /// Its live articles, newest first.
    pub items: &'a [Article],
}

/// `{"category": {...}, "items": [{id, title, url, published_at, source_name, image}]}`,
/// the category as the categories API shows it; `url` is the article's
/// effective URL, `image` `null` or `{url, mime_type, length}`.
pub fn headlines_json(headlines: &Headlines<'_>) -> Vec<u8> {
    let items: Vec<Value> = headlines
        .items
        .iter()
        .map(|article| item(headlines.site, article))
        .collect();
    let body = json!({
        "category": headlines.category.to_json(),
        "items": items,
    });
    body.to_string().into_bytes()
}

fn item(site: &SiteSettings, article: &Article) -> Value {
    let fields = &article.fields;
    json!({
        "id": article.id,
        "title": fields.title.as_str(),
        "url": article_url(site, article),
        "published_at": format_time(article.published_at),
        "source_name": fields.source.as_ref().map(|s| s.name.as_str()),
        "image": fields.image.as_ref().map(|image| json!({
            "url": image.url.as_str(),
            "mime_type": image.mime_type,
            "length": image.length,
        })),
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures;
    use super::*;

    fn render() -> Value {
        let site = fixtures::site();
        let categories = fixtures::categories();
        let articles: Vec<Article> = fixtures::articles()
            .into_iter()
            .filter(|a| a.fields.category.as_str() == "world")
            .collect();
        let headlines = Headlines {
            site: &site,
            category: &categories[0],
            items: &articles,
        };
        serde_json::from_slice(&headlines_json(&headlines)).expect("JSON")
    }

    #[test]
    fn items_carry_exactly_the_spec_fields_in_the_given_order() {
        let body = render();
        let object = body.as_object().expect("object");
        assert_eq!(object.len(), 2, "{body}");
        assert_eq!(body["category"]["slug"], "world");
        assert_eq!(body["category"]["name"], "国际 & 世界");
        let items = body["items"].as_array().expect("items");
        assert_eq!(items.len(), 2);
        let first = items[0].as_object().expect("item");
        let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["id", "image", "published_at", "source_name", "title", "url"]
        );
        assert_eq!(items[0]["id"], 42);
        assert_eq!(items[1]["id"], 41);
        assert_eq!(items[0]["title"], "储能电站 & <电网> \"调峰\" ]]> 🚀 上线");
        assert_eq!(
            items[0]["url"],
            "https://news.example.cn/world/2026/42.html"
        );
        assert_eq!(items[0]["published_at"], "2026-01-15T09:00:00Z");
        assert_eq!(items[0]["source_name"], "海西都市报 & <晚报>");
        assert_eq!(
            items[0]["image"],
            json!({"url": "https://img.example.cn/2026/42.jpg", "mime_type": "image/jpeg", "length": 771_060})
        );
        assert_eq!(items[1]["image"]["length"], Value::Null);
    }

    #[test]
    fn an_article_without_url_links_to_the_site_and_without_source_or_image_has_nulls() {
        let site = fixtures::site();
        let categories = fixtures::categories();
        let articles: Vec<Article> = fixtures::articles().into_iter().skip(2).collect();
        let body: Value = serde_json::from_slice(&headlines_json(&Headlines {
            site: &site,
            category: &categories[1],
            items: &articles,
        }))
        .expect("JSON");
        let item = &body["items"][0];
        assert_eq!(item["url"], "https://news.example.cn/articles/40");
        assert_eq!(item["source_name"], Value::Null);
        assert_eq!(item["image"], Value::Null);
    }
}
