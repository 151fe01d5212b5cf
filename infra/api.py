"""The REST API: POST /escalations and its GET routes behind a Cognito authorizer, validated, throttled,
logged."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, Fn, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from escalation import contract
from infra.config import StackConfig
from infra.gateway_responses import (
    CORS_ALLOW_HEADERS,
    CORS_ALLOW_METHODS,
    CORS_EXPOSE_HEADERS,
    CORS_MAX_AGE_SECONDS,
    GATEWAY_ANSWERS,
    THROTTLE_BURST,
    THROTTLE_RATE,
    answer_headers,
)
from infra.request_schema import request_schema

STAGE_NAME = "v1"
ACCESS_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
_CUSTOM_PREFIX = "custom:"

_JSON_TYPES = {
    "object": apigw.JsonSchemaType.OBJECT,
    "string": apigw.JsonSchemaType.STRING,
    "null": apigw.JsonSchemaType.NULL,
    "integer": apigw.JsonSchemaType.INTEGER,
    "number": apigw.JsonSchemaType.NUMBER,
    "boolean": apigw.JsonSchemaType.BOOLEAN,
    "array": apigw.JsonSchemaType.ARRAY,
}


def json_schema(schema: dict[str, Any], *, root: bool = True) -> apigw.JsonSchema:
    """A draft-4 dict (infra.request_schema) as CDK's JsonSchema, recursively."""
    kind = schema["type"]
    additional = schema.get("additionalProperties")
    return apigw.JsonSchema(
        schema=apigw.JsonSchemaVersion.DRAFT4 if root else None,
        type=[_JSON_TYPES[k] for k in kind] if isinstance(kind, list) else _JSON_TYPES[kind],
        required=schema.get("required"),
        min_length=schema.get("minLength"),
        max_length=schema.get("maxLength"),
        pattern=schema.get("pattern"),
        enum=schema.get("enum"),
        description=schema.get("description"),
        additional_properties=additional if isinstance(additional, bool) else None,
        properties={k: json_schema(v, root=False) for k, v in schema["properties"].items()}
        if "properties" in schema
        else None,
    )


def access_log_format() -> apigw.AccessLogFormat:
    """What the stage's access log keeps of a request: one JSON object with API Gateway's standard
    fields, the caller's excepted."""
    return apigw.AccessLogFormat.json_with_standard_fields(
        caller=False,
        http_method=True,
        ip=True,
        protocol=True,
        request_time=True,
        resource_path=True,
        response_length=True,
        status=True,
        user=True,
    )


def _path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def writable_attributes(caller_user_id_claim: str) -> cognito.ClientAttributes:
    """What a user may change about themselves: profile fields only. The attribute holding the
    caller's Connect user id is left out, since authorisation rests on it (an admin sets it with
    AdminUpdateUserAttributes); an empty list would let the client write every attribute."""
    profile = {
        "fullname": "name",
        "given_name": "given_name",
        "family_name": "family_name",
        "locale": "locale",
    }
    return cognito.ClientAttributes().with_standard_attributes(
        **{flag: True for flag, claim in profile.items() if claim != caller_user_id_claim}
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
        desktop_url: str | None = None,
    ) -> None:
        """`desktop_url`: where the Escalate app is served, if the stack serves it: the created pool then
        gets a managed-login domain, and its client the authorization-code grant back to that URL."""
        super().__init__(scope, construct_id)
        self.user_pool_client: cognito.UserPoolClient | None = None
        self.managed_login_url: str | None = None
        self._desktop_url = desktop_url
        self._imported_client_ids = config.user_pool_client_ids
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
                allow_methods=CORS_ALLOW_METHODS,
                allow_headers=CORS_ALLOW_HEADERS,
                expose_headers=CORS_EXPOSE_HEADERS,
                max_age=Duration.seconds(CORS_MAX_AGE_SECONDS),
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
                access_log_format=access_log_format(),
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                tracing_enabled=True,
                metrics_enabled=True,
            ),
        )
        self._add_gateway_responses(config)

        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.user_pool]
        )
        model = self.rest_api.add_model(
            "EscalationRequest",
            content_type="application/json",
            model_name="EscalationRequest",
            schema=json_schema(request_schema()),
        )
        validator = self.rest_api.add_request_validator(
            # Checks the GET routes' required path and query parameters; POST declares none.
            "Validator",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self._function = function
        self._validator = validator
        self.method = self._route("POST", contract.API_PATH, request_models={"application/json": model})
        # The ledger's read routes: the path parameters are required.
        self.read_methods = [
            self._route(
                "GET",
                path,
                request_parameters={f"method.request.path.{name}": True for name in _path_parameters(path)},
            )
            for path in (contract.ESCALATION_PATH, contract.CONTACT_ESCALATIONS_PATH)
        ]
        # The desktop's form: the gateway refuses a request without the contact id.
        self.options_method = self._route(
            "GET",
            contract.ESCALATION_OPTIONS_PATH,
            request_parameters={f"method.request.querystring.{contract.ESCALATION_OPTIONS_QUERY}": True},
        )

    @property
    def caller_client_ids(self) -> list[str]:
        """The app clients whose ID tokens the handler accepts: the created pool's client, or the
        imported pool's clients named in context."""
        if self.user_pool_client is not None:
            return [self.user_pool_client.user_pool_client_id]
        return list(self._imported_client_ids)

    def _route(
        self,
        http_method: str,
        path: str,
        *,
        request_models: dict[str, apigw.IModel] | None = None,
        request_parameters: dict[str, bool] | None = None,
    ) -> apigw.Method:
        """A route to the function (proxy integration), behind the Cognito authorizer and the validator."""
        return self.rest_api.root.resource_for_path(path).add_method(
            http_method,
            apigw.LambdaIntegration(self._function, proxy=True),
            authorizer=self.authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO,
            request_validator=self._validator,
            request_models=request_models,
            request_parameters=request_parameters,
        )

    def _add_gateway_responses(self, config: StackConfig) -> None:
        """The gateway's own refusals in the API's error shape (with CORS, readable by the desktop)."""
        for answer in GATEWAY_ANSWERS:
            headers = answer_headers(answer, config.desktop_origin)
            self.rest_api.add_gateway_response(
                f"Gateway{answer.response_type.title().replace('_', '')}",
                type=apigw.ResponseType.of(answer.response_type),
                status_code=str(answer.status) if answer.status is not None else None,
                templates={"application/json": answer.body_template()},
                response_headers={name: f"'{value}'" for name, value in headers.items()} or None,
            )

    def _create_user_pool(self, config: StackConfig) -> cognito.UserPool:
        attribute = config.caller_user_id_claim.removeprefix(_CUSTOM_PREFIX)
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{contract.SERVICE_NAME}-{config.env_name}",
            self_sign_up_enabled=False,  # agents and supervisors are provisioned by an admin
            sign_in_aliases=cognito.SignInAliases(email=True, username=True),
            # Mutable so an admin can set it (AdminUpdateUserAttributes); the client cannot write it.
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
        if self._desktop_url is None:
            self.user_pool_client = pool.add_client(
                "DesktopClient",
                generate_secret=False,  # a browser app cannot keep a secret
                auth_flows=cognito.AuthFlow(user_srp=True),
                # No managed login without the app, so no OAuth flows (CDK's defaults would enable the
                # implicit grant with a placeholder callback). Federation: import a pool with userPoolId.
                disable_o_auth=True,
                prevent_user_existence_errors=True,
                write_attributes=writable_attributes(config.caller_user_id_claim),
            )
            return pool
        self._add_managed_login(pool, config, self._desktop_url)
        return pool

    def _add_managed_login(self, pool: cognito.UserPool, config: StackConfig, desktop_url: str) -> None:
        """The app's sign-in: managed login on a Cognito domain, the authorization-code grant for a public
        client (no secret) back to the app's URL only. The app sends a PKCE challenge with each sign-in,
        and Cognito then redeems the code only with its verifier."""
        domain = pool.add_domain(
            "ManagedLogin",
            # Unique per Region across accounts: the account id makes it so.
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=Fn.join("-", [contract.SERVICE_NAME, config.env_name.lower(), Aws.ACCOUNT_ID])
            ),
            managed_login_version=cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
        )
        self.managed_login_url = domain.base_url()
        self.user_pool_client = pool.add_client(
            "DesktopClient",
            generate_secret=False,  # a browser app cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                # The app's page by its two names (Agent Workspace opens the first).
                callback_urls=[desktop_url, f"{desktop_url}index.html"],
                logout_urls=[desktop_url, f"{desktop_url}index.html"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            write_attributes=writable_attributes(config.caller_user_id_claim),
        )
        # Managed login (the newer version) shows a page only for a client with a style: Cognito's own.
        cognito.CfnManagedLoginBranding(
            self,
            "ManagedLoginBranding",
            user_pool_id=pool.user_pool_id,
            client_id=self.user_pool_client.user_pool_client_id,
            use_cognito_provided_values=True,
        )
