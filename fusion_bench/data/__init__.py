"""Data: dataset discovery per benchmark layout, Lightning DataModules, downloads with checksums."""
