"""Alerts: subscriptions to entities, phrases and queries, and the alerts each story raises.

`matching` is pure (usable without Kafka or Elasticsearch); `subscriptions` reads and validates
`config/alerts.yaml`; `store` keeps the live set on a compacted Kafka topic every worker follows;
`queries` asks Elasticsearch which query subscriptions a batch of stories matches.
"""

from pipeline.alerts.matching import Match, Matcher, alert_id, build_alert, should_alert

__all__ = ["Match", "Matcher", "alert_id", "build_alert", "should_alert"]
