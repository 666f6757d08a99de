{# The project's own generic tests (the dbt_utils ones of the same names work the same way). #}

{% test expression_is_true(model, expression, column_name=None) %}
select * from {{ model }}
where not ({{ column_name ~ ' ' if column_name else '' }}{{ expression }})
{% endtest %}

{% test accepted_range(model, column_name, min_value=None, max_value=None) %}
select * from {{ model }}
where 1 = 0
{%- if min_value is not none %} or {{ column_name }} < {{ min_value }}{% endif %}
{%- if max_value is not none %} or {{ column_name }} > {{ max_value }}{% endif %}
{% endtest %}
