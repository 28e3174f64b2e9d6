"""The only package that talks SQL: tables, repositories, migrations."""
