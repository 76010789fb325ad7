"""The API token endpoint (POST /api/v1/auth/token/): DRF's, plus the one-time code.

A user who must use a second factor gets a token only with a valid ``otp``: a token is a
session that never asks again. Failed passwords count towards django-axes's lockout like the
login form's, and a locked-out caller gets a 429 with the time to wait.
"""

import django_otp
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import parsers, renderers, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.response import Response
from rest_framework.views import APIView

from om_portal import audit
from om_portal.audit import client_address
from om_portal.auth import otp, passwords, throttle, tokens
from om_portal.auth.lockout import lockout_response


class TokenRequestSerializer(AuthTokenSerializer):
    otp = serializers.CharField(
        label=_("One-time code"),
        help_text=_(
            "The code of the user's authenticator app; required for users who must use a second factor."
        ),
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=20,
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)  # the password, through every authentication backend
        user = attrs["user"]
        if passwords.change_required(user):
            raise serializers.ValidationError(
                {"password": [_("Someone else chose this password: choose your own in the portal first.")]}
            )
        if not otp.must_verify(user):
            return attrs
        device = otp.confirmed_device(user)
        if device is None:
            raise serializers.ValidationError(
                {"otp": [_("Set up your authenticator app in the portal (Security page) first.")]}
            )
        code = "".join(attrs.get("otp", "").split())
        if not code:
            raise serializers.ValidationError({"otp": [_("This account needs a one-time code.")]})
        allowed, _detail = device.verify_is_allowed()
        if not allowed:
            raise serializers.ValidationError(
                {"otp": [_("Too many wrong codes. Wait a little, then send the newest code.")]}
            )
        if django_otp.verify_token(user, device.persistent_id, code) is None:
            raise serializers.ValidationError({"otp": [_("This one-time code is wrong or has expired.")]})
        return attrs


class ObtainTokenView(APIView):
    """DRF's ObtainAuthToken, over hashed expiring tokens (om_portal.auth.tokens): each login
    issues a new key, shown in this answer only."""

    throttle_classes = ()
    permission_classes = ()
    parser_classes = (parsers.FormParser, parsers.MultiPartParser, parsers.JSONParser)
    renderer_classes = (renderers.JSONRenderer,)
    serializer_class = TokenRequestSerializer

    def get_serializer(self, *args, **kwargs):
        kwargs["context"] = {"request": self.request, "format": self.format_kwarg, "view": self}
        return self.serializer_class(*args, **kwargs)

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: inline_serializer(
                "IssuedToken", {"token": serializers.CharField(), "expires_at": serializers.DateTimeField()}
            ),
            400: OpenApiResponse(description="Wrong credentials or one-time code, by field."),
            429: OpenApiResponse(description="Locked out after too many failed logins; see Retry-After."),
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                # django-axes marks the request it was given, here DRF's, not the Django request
                # its middleware looks at: the view answers for it.
                return lockout_response(request._request)
            return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
        user = serializer.validated_data["user"]
        throttle.note_success(user.get_username(), client_address(request._request))
        key, token = tokens.issue(user)
        audit.record("api_token_issued", user=user, request=request._request, obj=token)
        return Response({"token": key, "expires_at": token.expires_at})


obtain_token = ObtainTokenView.as_view()
