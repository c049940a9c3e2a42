//! katana-sim
