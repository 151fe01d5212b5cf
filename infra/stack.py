"""The escalation stack: wires the per-concern constructs together and exports what operators need."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aws_cdk import Annotations, CfnOutput, Stack
from constructs import Construct

from escalation import contract
from infra.agent_workspace import AgentWorkspaceApp
from infra.api import EscalationApi
from infra.compute import SNAPSTART_ALIAS, Compute
from infra.config import StackConfig
from infra.connect_policy import instance_arn
from infra.dead_letter_trust import DeadLetterTrust
from infra.desktop_hosting import AppSettings, DesktopHosting
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
        self.desktop: DesktopHosting | None = None
        self.agent_workspace: AgentWorkspaceApp | None = None
        if config.deploys_desktop_app and config.connect_instance_alias is not None:
            self.desktop = DesktopHosting(self, "Desktop", alias=config.connect_instance_alias)
            # The API's CORS origin is the app's, unless -c desktopOrigin names another.
            config = replace(config, desktop_origin=config.desktop_origin or self.desktop.origin)
        else:
            _warn_without_app(self, config)
        self.config = config
        self.storage = Storage(self, "Storage", config=config)
        self.alerts = AlertTopic(self, "Alerts", config=config, key=self.storage.key)
        self.compute = Compute(
            self, "Compute", config=config, storage=self.storage, alert_topic=self.alerts.topic
        )
        self.dead_letters = DeadLetterTrust(
            self,
            "DeadLetters",
            env_name=config.env_name,
            dlq=self.storage.dlq,
            queue_key=self.storage.key,
            # What a redrive invokes: the alias with SnapStart, whose asynchronous config keeps the DLQ.
            function=self.compute.invocable,
            role=self.compute.role,
        )
        self.compute.function.add_environment(
            contract.EnvVar.DEAD_LETTER_MAC_KEY_ID, self.dead_letters.mac_key.key_arn
        )
        self.api = EscalationApi(
            self,
            "Api",
            config=config,
            function=self.compute.invocable,
            desktop_url=self.desktop.url if self.desktop else None,
        )
        # Known only once the API's user pool client exists, hence set here rather than in Compute.
        self.compute.function.add_environment(
            contract.EnvVar.CALLER_CLIENT_IDS, ",".join(self.api.caller_client_ids)
        )
        self.events = SlaBreachEvents(
            self, "SlaBreach", config=config, function=self.compute.invocable, key=self.storage.key
        )
        self.sla_timers: SlaSchedules | None = None
        if config.sla_timers:
            wiring = TimerWiring(
                self.compute.function,
                self.compute.role,
                self.storage.key,
                self.alerts.topic,
                target=self.compute.invocable,
                target_qualifier=SNAPSTART_ALIAS if config.snap_start else None,
            )
            self.sla_timers = SlaSchedules(self, "SlaTimers", config=config, wiring=wiring)
        else:
            disable_sla_timers(self.compute.function)
        if self.desktop is not None:
            self._add_desktop_app(self.desktop)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            topic=self.alerts.topic,
            watched=MonitoredResources(self.compute.function, self.storage.dlq, self.events.dlq),
        )

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url_for_path(contract.API_PATH))
        CfnOutput(self, "DlqUrl", value=self.storage.dlq.queue_url)
        CfnOutput(self, "EventDlqUrl", value=self.events.dlq.queue_url)
        CfnOutput(self, "DeadLetterMacKeyArn", value=self.dead_letters.mac_key.key_arn)
        CfnOutput(self, "RedrivePolicyArn", value=self.dead_letters.redrive_policy.managed_policy_arn)
        CfnOutput(self, "RedriveFunctionArn", value=self.compute.invocable.function_arn)
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
        if self.desktop is not None and self.agent_workspace is not None:
            CfnOutput(self, "DesktopAppUrl", value=self.desktop.url)
            CfnOutput(self, "AgentWorkspaceNamespace", value=self.agent_workspace.namespace)

    def _add_desktop_app(self, desktop: DesktopHosting) -> None:
        """The bundle with its settings, and its registration with the instance's Agent Workspace."""
        client = self.api.user_pool_client
        login = self.api.managed_login_url
        # The stack's own pool, built for the app (deploys_desktop_app requires it).
        assert client is not None
        assert login is not None
        desktop.deploy(
            self.config.desktop_dist,
            AppSettings(
                api_url=self.api.rest_api.url,  # the stage's URL; the app drops the trailing slash
                cognito_domain=login,
                client_id=client.user_pool_client_id,
            ),
        )
        self.agent_workspace = AgentWorkspaceApp(
            self,
            "AgentWorkspace",
            config=self.config,
            desktop=desktop,
            instance_arn=instance_arn(
                self.partition, self.region, self.account, self.config.connect_instance_id
            ),
        )


def _warn_without_app(stack: Stack, config: StackConfig) -> None:
    """Say at synth why the Escalate app is not deployed, and how to add it (never silently)."""
    if not config.desktop_app:
        return  # -c desktopApp=false: asked for
    if config.connect_instance_alias is None:
        Annotations.of(stack).add_warning_v2(
            "escalation:desktopApp",
            "The agent's Escalate app is not deployed: it needs the Connect instance's alias for Agent "
            "Workspace. Add -c connectInstanceAlias=<alias> (the <alias> of https://<alias>.my.connect.aws), "
            "or -c desktopApp=false to silence this.",
        )
    elif config.user_pool_id is not None:
        Annotations.of(stack).add_warning_v2(
            "escalation:desktopApp",
            "The agent's Escalate app is not deployed: it signs in with the managed login of the user "
            "pool this stack creates, and -c userPoolId imports one. Deploy without -c userPoolId, or "
            "add -c desktopApp=false to silence this.",
        )
