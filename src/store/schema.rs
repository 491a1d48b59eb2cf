// @generated automatically by Diesel CLI.

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        name -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        external_id -> Nullable<Text>,
        category_id -> BigInt,
        title -> Text,
        summary -> Nullable<Text>,
        content_html -> Nullable<Text>,
        url -> Nullable<Text>,
        author -> Nullable<Text>,
        contributors -> Text,
        source_name -> Nullable<Text>,
        source_url -> Nullable<Text>,
        source_feed_url -> Nullable<Text>,
        copyright -> Nullable<Text>,
        tags -> Text,
        image_url -> Nullable<Text>,
        image_mime_type -> Nullable<Text>,
        image_length -> Nullable<BigInt>,
        status -> Text,
        published_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        image_width -> Nullable<Integer>,
        image_height -> Nullable<Integer>,
        image_caption -> Nullable<Text>,
    }
}

diesel::table! {
    article_facets (article_id, facet_key) {
        article_id -> BigInt,
        facet_key -> BigInt,
        published_at -> Timestamp,
    }
}

diesel::table! {
    categories (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        copyright -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    changes (id) {
        id -> BigInt,
        category_id -> Nullable<BigInt>,
        changed_at -> Timestamp,
        affects_site_feeds -> Bool,
        visible -> Bool,
        facet_key -> Nullable<BigInt>,
    }
}

diesel::table! {
    facets (facet_key) {
        facet_key -> BigInt,
        kind -> Text,
        value -> Text,
        published_count -> BigInt,
    }
}

diesel::table! {
    service_state (name) {
        name -> Text,
        value -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    tombstones (id) {
        id -> BigInt,
        article_id -> BigInt,
        category_id -> Nullable<BigInt>,
        facet_key -> Nullable<BigInt>,
        deleted_at -> Timestamp,
    }
}

diesel::table! {
    websub_pings (id) {
        id -> BigInt,
        hub -> Text,
        topic -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        kind -> Text,
    }
}

diesel::joinable!(article_facets -> articles (article_id));
diesel::joinable!(articles -> categories (category_id));

diesel::allow_tables_to_appear_in_same_query!(
    api_tokens,
    article_facets,
    articles,
    categories,
    changes,
    facets,
    service_state,
    tombstones,
    websub_pings,
);
