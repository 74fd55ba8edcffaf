"""API views. Shopper-scoped views act on the request's own shopper only.

Every view carries drf-spectacular's ``AutoSchema`` itself (:mod:`.schema`), so
``api/schema/`` and ``api/docs/`` work whatever the project's ``DEFAULT_SCHEMA_CLASS``
is: a plugin must not ask the host project for a global setting.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Interaction, Style, StylePreference
from ..models.shoppers import PreferenceSource
from ..products import get_product_adapter, price_parts
from ..restyling.status import GATE_FIELDS, best_variant_rows
from ..shoppers.identity import personalisation_enabled, record_interaction, set_personalisation
from ..shoppers.preferences import set_explicit_styles, shopper_style
from ..shoppers.privacy import delete_shopper_data, export_shopper_data
from ..storage import variant_storage
from ..storefront.grid import recommended_grid
from ..storefront.reasons import is_personal
from ..storefront.state import forget_storefront_state
from .errors import PublicReads, RejectNulBytes, error_responses
from .permissions import IsShopper, IsStaffOrReadOnly, request_shopper
from .schema import PluginSchema, describe
from .serializers import (
    InteractionSerializer,
    MyPreferencesSerializer,
    PreferenceItemSerializer,
    RecommendationSerializer,
    StyleSerializer,
    VariantSerializer,
)
from .throttling import AddressEventThrottle, ShopperEventThrottle

MAX_RECOMMENDATIONS = 100
RECENT_INTERACTIONS = 50


@extend_schema_view(
    retrieve=describe(responses={200: StyleSerializer, **error_responses(404)}),
    create=describe(responses={201: StyleSerializer, **error_responses(400, 403)}),
    update=describe(responses={200: StyleSerializer, **error_responses(400, 403, 404)}),
    partial_update=describe(responses={200: StyleSerializer, **error_responses(400, 403, 404)}),
    destroy=describe(responses={204: None, **error_responses(403, 404)}),
)
class StyleViewSet(PluginSchema, RejectNulBytes, PublicReads, viewsets.ModelViewSet):
    """The style catalogue: everyone reads active styles; staff see all and write."""

    serializer_class = StyleSerializer
    permission_classes = [IsStaffOrReadOnly]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"  # a SlugField's characters; anything else is a 404

    def get_queryset(self):
        # Translations come along so display_name costs no query per style.
        styles = Style.objects.prefetch_related("translations")
        user = self.request.user
        if not (user and user.is_authenticated and user.is_staff):
            styles = styles.filter(is_active=True)
        return styles


def _preferences_payload(shopper) -> dict:
    prefs = list(
        StylePreference.objects.filter(shopper_key=shopper.key)
        .select_related("style")
        .prefetch_related("style__translations")
        .order_by("-weight")
    )
    top = shopper_style(shopper)
    return {
        "personalisation_enabled": personalisation_enabled(shopper),
        "style": top.slug if top is not None else None,
        "explicit": PreferenceItemSerializer(
            [p for p in prefs if p.source == PreferenceSource.EXPLICIT], many=True
        ).data,
        "learned": PreferenceItemSerializer(
            [p for p in prefs if p.source == PreferenceSource.LEARNED], many=True
        ).data,
    }


_PREFERENCES_RESPONSE = inline_serializer(
    "MyPreferencesResponse",
    fields={
        "personalisation_enabled": serializers.BooleanField(),
        "style": serializers.CharField(allow_null=True),
        "explicit": PreferenceItemSerializer(many=True),
        "learned": PreferenceItemSerializer(many=True),
    },
)


class MyPreferencesView(PluginSchema, RejectNulBytes, PublicReads, APIView):
    """Your styles (picked and learned) and your personalisation switch."""

    permission_classes = [IsShopper]
    create_shopper_for_writes = True
    allow_no_shopper_reads = True

    @describe(responses=_PREFERENCES_RESPONSE)
    def get(self, request):
        shopper = request_shopper(request)
        if shopper is None:
            return Response(
                {"personalisation_enabled": True, "style": None, "explicit": [], "learned": []}
            )
        return Response(_preferences_payload(shopper))

    @describe(request=MyPreferencesSerializer, responses={200: _PREFERENCES_RESPONSE, **error_responses(400, 403)})
    def put(self, request):
        return self._write(request)

    @describe(request=MyPreferencesSerializer, responses={200: _PREFERENCES_RESPONSE, **error_responses(400, 403)})
    def patch(self, request):
        return self._write(request)

    def _write(self, request):
        serializer = MyPreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shopper = request_shopper(request, create=True)
        if "styles" in serializer.validated_data:
            set_explicit_styles(shopper, serializer.validated_data["styles"])
        if "personalisation_enabled" in serializer.validated_data:
            set_personalisation(shopper, serializer.validated_data["personalisation_enabled"])
        forget_storefront_state(request._request)
        return Response(_preferences_payload(shopper))


class MyRecommendationsView(PluginSchema, RejectNulBytes, PublicReads, APIView):
    """Your recommended products, with photos in your style (honours experiments and opt-out)."""

    permission_classes = [IsShopper]
    allow_no_shopper_reads = True

    @describe(
        parameters=[
            OpenApiParameter("count", OpenApiTypes.INT, description="How many (1-100, default 24)"),
            OpenApiParameter("category", OpenApiTypes.STR, description="Category id (repeat for several)"),
        ],
        responses={200: RecommendationSerializer(many=True), **error_responses(400)},
    )
    def get(self, request):
        try:
            count = max(1, min(int(request.query_params.get("count", 24)), MAX_RECOMMENDATIONS))
        except ValueError:
            return Response({"count": ["A whole number, please."]}, status=status.HTTP_400_BAD_REQUEST)
        categories = request.query_params.getlist("category")
        category = None
        if categories:
            if not all(value.isdigit() for value in categories):
                return Response({"category": ["Category ids are numbers."]}, status=status.HTTP_400_BAD_REQUEST)
            category = [int(value) for value in categories]
        grid = recommended_grid(
            request._request, count, shopper=request_shopper(request), category=category, surface="api"
        )
        rows = [
            {
                "product_id": item.product.pk,
                "name": item.name,
                **dict(zip(("price", "currency"), price_parts(item.price), strict=True)),
                "url": request.build_absolute_uri(item.url) if item.url else "",
                "score": item.score,
                "reason": item.reason,
                "reason_code": item.reason_code,
                "personal": is_personal(item.reason_code, grid.state.personalise),
                "photo": item.photo,
            }
            for item in grid.items
        ]
        return Response(RecommendationSerializer(rows, many=True).data)


@extend_schema_view(list=describe(responses={200: InteractionSerializer(many=True), **error_responses(403)}))
class MyInteractionsView(PluginSchema, RejectNulBytes, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your most recent interactions (50)."""

    serializer_class = InteractionSerializer
    permission_classes = [IsShopper]
    pagination_class = None

    def get_queryset(self):
        shopper = request_shopper(self.request)
        if shopper is None:
            return Interaction.objects.none()
        return (
            Interaction.objects.filter(shopper_key=shopper.key)
            .select_related("style")
            .order_by("-created_at")[:RECENT_INTERACTIONS]
        )


class EventView(PluginSchema, RejectNulBytes, APIView):
    """Record a view, click, add-to-cart, purchase or rating by the current shopper."""

    permission_classes = [IsShopper]
    # Per shopper, and a ceiling per address: new sessions must not buy new allowances.
    throttle_classes = [ShopperEventThrottle, AddressEventThrottle]
    # A guest's first event makes them a shopper (GUEST_IDENTITY): no session needed first.
    create_shopper_for_writes = True

    @describe(
        request=InteractionSerializer, responses={201: InteractionSerializer, **error_responses(400, 403, 429)}
    )
    def post(self, request):
        serializer = InteractionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        shopper = request_shopper(request)
        data = serializer.validated_data
        interaction = record_interaction(
            shopper, data["product"], data["kind"], style=data.get("style"), value=data.get("value")
        )
        return Response(InteractionSerializer(interaction).data, status=status.HTTP_201_CREATED)


class MyDataView(PluginSchema, RejectNulBytes, APIView):
    """Download (GET) or delete (DELETE) everything StyleRec stores about you."""

    permission_classes = [IsShopper]

    @describe(responses={200: OpenApiTypes.OBJECT, **error_responses(403)})
    def get(self, request):
        response = Response(export_shopper_data(request_shopper(request)))
        if request.query_params.get("download"):
            response["Content-Disposition"] = 'attachment; filename="stylerec-my-data.json"'
        return response

    @describe(responses={200: OpenApiTypes.OBJECT, **error_responses(403)})
    def delete(self, request):
        shopper = request_shopper(request)
        deleted = delete_shopper_data(shopper)
        forget_storefront_state(request._request)
        return Response({"deleted": deleted})


class ProductVariantsView(PluginSchema, RejectNulBytes, APIView):
    """A product's restyled versions, one per active style, with their status."""

    permission_classes = [permissions.AllowAny]

    @describe(responses={200: VariantSerializer(many=True), **error_responses(404)})
    def get(self, request, product_id: int):
        product = get_object_or_404(get_product_adapter().queryset(), pk=product_id)
        styles = list(Style.objects.filter(is_active=True).prefetch_related("translations"))
        best = {style_id: row for (_pid, style_id), row in best_variant_rows([product.pk], styles).items()}
        storage = variant_storage()
        result = []
        for style in styles:
            row = best.get(style.pk)
            shown = bool(row and row["shown"])
            result.append(
                {
                    "style": style.slug,
                    "style_name": style.display_name,
                    "status": row["status"] if row else "missing",
                    "shown": shown,
                    "review": (row["review"] or None) if row else None,
                    "url": request.build_absolute_uri(storage.url(row["image"])) if shown else None,
                    "width": row["width"] if shown else None,
                    "height": row["height"] if shown else None,
                    "style_version": row["style_version"] if row else None,
                    "is_current": bool(row and row["style_version"] == style.version),
                    "render_mode": style.render_mode,
                    "colour_limit": style.colour_limit,
                    "gates": {name: row[name] for name in GATE_FIELDS} if row else None,
                    "reason": (row["last_error"] or None) if row and row["status"] == "rejected" else None,
                }
            )
        return Response(VariantSerializer(result, many=True).data)


__all__ = [
    "EventView",
    "MyDataView",
    "MyInteractionsView",
    "MyPreferencesView",
    "MyRecommendationsView",
    "ProductVariantsView",
    "StyleViewSet",
]
