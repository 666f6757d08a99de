{# Money arrives in cents; models report it in currency units. #}
{% macro cents_to_amount(column, scale=2) -%}
    round({{ column }} / 100.0, {{ scale }})
{%- endmacro %}
