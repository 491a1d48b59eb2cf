fn main() {
    // embed_migrations! does not notice a new migration folder on its own.
    println!("cargo:rerun-if-changed=migrations");
    // Without a PostgreSQL server to test against, the PostgreSQL tests are
    // built as ignored, so the run reports them as skipped, not passed.
    println!("cargo:rustc-check-cfg=cfg(syndic_skip_postgres)");
    println!("cargo:rerun-if-env-changed=SYNDIC_TEST_POSTGRES_URL");
    if std::env::var_os("SYNDIC_TEST_POSTGRES_URL").is_none() {
        println!("cargo:rustc-cfg=syndic_skip_postgres");
    }
}
