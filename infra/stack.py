"""The escalation stack: wires the per-concern constructs together and exports what operators need."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from escalation import contract
from infra.api import EscalationApi
from infra.compute import Compute
from infra.config import StackConfig
from infra.events import SlaBreachEvents
from infra.monitoring import AlertTopic, MonitoredResources, Monitoring
from infra.sla_schedules import SlaSchedules, TimerWiring, disable_sla_timers
from infra.storage import Storage


class EscalationStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Escalation service for Amazon Connect ({config.env_name})",
            **kwargs,
        )
        self.config = config
        self.storage = Storage(self, "Storage", config=config)
        self.alerts = AlertTopic(self, "Alerts", config=config, key=self.storage.key)
        self.compute = Compute(
            self, "Compute", config=config, storage=self.storage, alert_topic=self.alerts.topic
        )
        self.api = EscalationApi(self, "Api", config=config, function=self.compute.function)
        # Known only once the API's user pool client exists, hence set here rather than in Compute.
        self.compute.function.add_environment(
            contract.EnvVar.CALLER_CLIENT_IDS, ",".join(self.api.caller_client_ids)
        )
        self.events = SlaBreachEvents(
            self, "SlaBreach", config=config, function=self.compute.function, key=self.storage.key
        )
        self.sla_timers: SlaSchedules | None = None
        if config.sla_timers:
            wiring = TimerWiring(
                self.compute.function, self.compute.role, self.storage.key, self.alerts.topic
            )
            self.sla_timers = SlaSchedules(self, "SlaTimers", config=config, wiring=wiring)
        else:
            disable_sla_timers(self.compute.function)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            topic=self.alerts.topic,
            watched=MonitoredResources(self.compute.function, self.storage.dlq, self.events.dlq),
        )

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url_for_path(contract.API_PATH))
        CfnOutput(self, "DlqUrl", value=self.storage.dlq.queue_url)
        CfnOutput(self, "EventDlqUrl", value=self.events.dlq.queue_url)
        CfnOutput(self, "AlertTopicArn", value=self.alerts.topic.topic_arn)
        CfnOutput(
            self,
            "DashboardUrl",
            value=(
                f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}"
                f"#dashboards:name={self.monitoring.dashboard_name}"
            ),
        )
        CfnOutput(self, "UserPoolId", value=self.api.user_pool.user_pool_id)
        if self.api.user_pool_client is not None:
            CfnOutput(self, "UserPoolClientId", value=self.api.user_pool_client.user_pool_client_id)
        if self.sla_timers is not None:
            CfnOutput(self, "SlaScheduleDlqUrl", value=self.sla_timers.dlq.queue_url)
        if self.storage.routing_rules_parameter is not None:
            CfnOutput(self, "RoutingRulesParameter", value=self.storage.routing_rules_parameter_name)
