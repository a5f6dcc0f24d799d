//! Router configurations from the route table.
