-- TimescaleDB path only: the runner applies this file when CREATE EXTENSION timescaledb is possible.
CREATE EXTENSION IF NOT EXISTS timescaledb;
