DROP TABLE api_tokens;
DROP TABLE service_state;
DROP TABLE changes;
DROP TABLE articles;
DROP TABLE categories;
