-- Prefect's own database beside planwarden's, on the same PostgreSQL server.
CREATE DATABASE prefect OWNER planwarden;
