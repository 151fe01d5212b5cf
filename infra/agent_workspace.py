"""The Escalate app registered as an Amazon Connect Agent Workspace application: an AppIntegrations
application (its URL, its approved origin, one contact at a time, the two SDK permissions it uses) and
its association with the instance. Agents still need it in their security profile (docs/deploy.md)."""

from __future__ import annotations

from typing import Final

from aws_cdk import aws_appintegrations as appintegrations
from aws_cdk import aws_connect as connect
from constructs import Construct

from escalation import contract
from infra.config import StackConfig
from infra.desktop_hosting import DesktopHosting

# What the app asks the Agent Workspace SDK for: the current contact (ContactClient) and the agent's
# ARN (AgentClient). Nothing else is granted.
PERMISSIONS: Final = ("Contact.Details.View", "User.Details.View")
# One app instance per contact: the contact id arrives with the app's creation.
CONTACT_SCOPE: Final = "PER_CONTACT"
INTEGRATION_TYPE: Final = "APPLICATION"


def application_namespace(config: StackConfig) -> str:
    """The namespace a security profile names to give agents the app."""
    return f"{contract.SERVICE_NAME}-{config.env_name}"


class AgentWorkspaceApp(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        desktop: DesktopHosting,
        instance_arn: str,
    ) -> None:
        """`instance_arn`: the Connect instance the app is associated with."""
        super().__init__(scope, construct_id)
        self.namespace = application_namespace(config)
        self.application = appintegrations.CfnApplication(
            self,
            "Application",
            name=f"Escalate {config.env_name}",
            namespace=self.namespace,
            description="Escalate the current contact to the queue or agent the routing rules pick",
            application_source_config=appintegrations.CfnApplication.ApplicationSourceConfigProperty(
                external_url_config=appintegrations.CfnApplication.ExternalUrlConfigProperty(
                    access_url=desktop.url, approved_origins=[desktop.origin]
                )
            ),
            application_config=appintegrations.CfnApplication.ApplicationConfigProperty(
                contact_handling=appintegrations.CfnApplication.ContactHandlingProperty(scope=CONTACT_SCOPE)
            ),
            permissions=list(PERMISSIONS),
        )
        self.association = connect.CfnIntegrationAssociation(
            self,
            "InstanceAssociation",
            instance_id=instance_arn,
            integration_type=INTEGRATION_TYPE,
            integration_arn=self.application.attr_application_arn,
        )
