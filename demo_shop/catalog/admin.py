from django.contrib import admin
from django.utils.html import format_html

from .models import Category, Order, OrderLine, Product


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["thumb", "name", "category", "price"]
    list_display_links = ["thumb", "name"]
    list_filter = ["category"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    @admin.display(description="photo")
    def thumb(self, obj: Product) -> str:
        return format_html('<img src="{}" alt="" style="height:40px">', obj.image.url) if obj.image else "—"


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "shopper_key", "created_at"]
    inlines = [OrderLineInline]
