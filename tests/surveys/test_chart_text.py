"""The SVG charts escape their own text (app.services.charts.escape/quoteattr): the same
output as xml.sax.saxutils, which a serving process no longer imports."""

from __future__ import annotations

from app.services import charts


def test_text_content_escapes_ampersand_and_angle_brackets_only():
    assert charts.escape("IKM <80 & >70") == "IKM &lt;80 &amp; &gt;70"
    assert charts.escape("&amp;") == "&amp;amp;"
    assert charts.escape("it's \"ok\"") == "it's \"ok\""


def test_attribute_value_takes_the_quote_it_does_not_contain():
    assert charts.quoteattr("Liberation Sans") == '"Liberation Sans"'
    assert charts.quoteattr("a 'b'") == "\"a 'b'\""
    assert charts.quoteattr('a "b"') == "'a \"b\"'"
    assert charts.quoteattr("a \"b\" 'c'") == '"a &quot;b&quot; \'c\'"'
    assert charts.quoteattr("x\ny\tz\r<&") == '"x&#10;y&#9;z&#13;&lt;&amp;"'


def test_a_chart_label_is_escaped_in_the_svg():
    svg = charts.bar_chart([charts.Bar("A & <B>", 50, "50,00")], scale_max=100, tick=25,
                           title="T & U", chart_id="c")
    assert "A &amp; &lt;B&gt;" in svg and "<title id=\"c-t\">T &amp; U</title>" in svg
    assert "<B>" not in svg
