"""dbt projects as suture pipelines: schema YAML, tests, Jinja models and write-back."""
