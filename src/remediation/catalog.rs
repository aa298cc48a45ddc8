//! Playbook catalogue (being written).
