"""The REST API: POST /escalations behind a Cognito authorizer, validated, throttled, logged."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from escalation import contract
from infra.config import StackConfig

STAGE_NAME = "v1"
# Supervisors and agents click; this is far above human rates and far below what would exhaust the
# Lambda's reserved concurrency for long.
THROTTLE_RATE = 10
THROTTLE_BURST = 20
ACCESS_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
_CUSTOM_PREFIX = "custom:"

# Mirrors the handler's request model loosely: shape and sizes only. Cross-field rules (queueId XOR
# userId, unknown fields) are left to the Lambda, which explains them in its own error body.
REQUEST_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["contactId", "reason"],
    "properties": {
        "contactId": {"type": "string", "minLength": 1, "maxLength": 256},
        "reason": {"type": "string", "minLength": 1, "maxLength": 128},
        "target": {
            "type": "object",
            "properties": {
                "queueId": {"type": "string", "minLength": 1},
                "userId": {"type": "string", "minLength": 1},
            },
        },
        "note": {"type": "string", "maxLength": 1024},
    },
}


def json_schema(schema: dict[str, Any], *, root: bool = True) -> apigw.JsonSchema:
    """Convert a plain draft-4 dict into CDK's JsonSchema (recursively, for nested properties)."""
    kinds = {"object": apigw.JsonSchemaType.OBJECT, "string": apigw.JsonSchemaType.STRING}
    return apigw.JsonSchema(
        schema=apigw.JsonSchemaVersion.DRAFT4 if root else None,
        type=kinds[schema["type"]],
        required=schema.get("required"),
        min_length=schema.get("minLength"),
        max_length=schema.get("maxLength"),
        properties={k: json_schema(v, root=False) for k, v in schema["properties"].items()}
        if "properties" in schema
        else None,
    )


class EscalationApi(Construct):
    """REST API with a Cognito user-pool authorizer (an imported pool, or a new one)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool_client: cognito.UserPoolClient | None = None
        if config.user_pool_id:
            self.user_pool: cognito.IUserPool = cognito.UserPool.from_user_pool_id(
                self, "UserPool", config.user_pool_id
            )
        else:
            self.user_pool = self._create_user_pool(config)

        access_logs = logs.LogGroup(self, "AccessLogs", retention=ACCESS_LOG_RETENTION)
        cors = (
            apigw.CorsOptions(
                allow_origins=[config.desktop_origin],
                allow_methods=["POST", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=Duration.hours(1),
            )
            if config.desktop_origin
            else None
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"{contract.SERVICE_NAME}-{config.env_name}",
            description="Escalation service for Amazon Connect",
            cloud_watch_role=False,
            default_cors_preflight_options=cors,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                tracing_enabled=True,
                metrics_enabled=True,
            ),
        )
        if config.desktop_origin:
            # Authorizer and validation failures come from API Gateway, not the Lambda: give them the
            # CORS header too, or the desktop sees an opaque network error instead of 401/400.
            for response_type in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX):
                self.rest_api.add_gateway_response(
                    f"Cors{response_type.response_type}",
                    type=response_type,
                    response_headers={"Access-Control-Allow-Origin": f"'{config.desktop_origin}'"},
                )

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.user_pool]
        )
        model = self.rest_api.add_model(
            "EscalationRequest",
            content_type="application/json",
            model_name="EscalationRequest",
            schema=json_schema(REQUEST_SCHEMA),
        )
        validator = self.rest_api.add_request_validator(
            # No parameters are declared, so parameter validation is a no-op kept on for cdk-nag APIG2.
            "Validator",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        resource = self.rest_api.root.resource_for_path(contract.API_PATH)
        self.method = resource.add_method(
            "POST",
            apigw.LambdaIntegration(function, proxy=True),
            authorizer=self.authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO,
            request_validator=validator,
            request_models={"application/json": model},
        )
        # The CORS preflight methods (root and /escalations): browsers send them without credentials.
        self.preflight_methods = [m for m in self.rest_api.methods if m.http_method == "OPTIONS"]

    def _create_user_pool(self, config: StackConfig) -> cognito.UserPool:
        attribute = config.caller_user_id_claim.removeprefix(_CUSTOM_PREFIX)
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{contract.SERVICE_NAME}-{config.env_name}",
            self_sign_up_enabled=False,  # agents and supervisors are provisioned by an admin
            sign_in_aliases=cognito.SignInAliases(email=True, username=True),
            custom_attributes={attribute: cognito.StringAttribute(min_len=1, max_len=256, mutable=True)}
            if config.caller_user_id_claim.startswith(_CUSTOM_PREFIX)
            else None,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            removal_policy=RemovalPolicy.RETAIN,
        )
        cognito.CfnUserPoolGroup(
            self,
            "SupervisorsGroup",
            user_pool_id=pool.user_pool_id,
            group_name=config.supervisor_group,
            description="May escalate any contact, not only their own",
        )
        self.user_pool_client = pool.add_client(
            "DesktopClient",
            generate_secret=False,  # a browser app cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True),
            # No hosted UI on the pool created here, so no OAuth flows (CDK's defaults would enable the
            # implicit grant with a placeholder callback). Federation: import a pool with userPoolId.
            disable_o_auth=True,
            prevent_user_existence_errors=True,
        )
        return pool
