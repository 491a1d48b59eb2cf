DROP TABLE websub_pings;
