"""Storage: ClickHouse through clickhouse-connect, embedded (chdb) or a server, one code path."""
