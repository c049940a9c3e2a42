//! katana-sync
