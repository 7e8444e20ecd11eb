"""EU Transparency Database: validation rules, personal-data scrubbing, batched submission."""
