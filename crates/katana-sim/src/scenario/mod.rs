//! Scenario files: the format QA writes, parsed and validated with locations.
