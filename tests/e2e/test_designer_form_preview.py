"""POST /designer/form-preview: the designer's form builder shows a form being built drawn by the
task page's own field template, for process designers only."""
from __future__ import annotations

from lxml import etree, html

from tests.conftest import FIXTURES
from tests.e2e.test_api_contract import start_form_task
from tests.e2e.test_pages_inbox import Browser

CAMUNDA = 'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'


def form_data_of(bpmn: bytes, task_id: str) -> bytes:
    """The `camunda:formData` element of a task of a file, as the builder sends it."""
    root = etree.fromstring(bpmn)
    (found,) = root.xpath(f"//*[@id='{task_id}']//*[local-name()='formData']")
    return etree.tostring(found)


def fields(page: str) -> list[str]:
    """Each field of a form (`div[data-field]`) as HTML."""
    return [etree.tostring(div, encoding="unicode").strip()
            for div in html.fromstring(page).xpath("//div[@data-field]")]


def preview(browser: Browser, xml: bytes | str):
    return browser.client.post("/designer/form-preview", data=xml, headers={
        "Content-Type": "application/xml", "X-CSRFToken": browser.csrf})


def test_the_preview_is_the_task_pages_form(api, app):
    """The same file's form: on the task page of a started instance, and in the preview."""
    designer, _, task = start_form_task(api)
    assert designer.post(f"/tasks/{task['id']}/claim").status == 200
    browser = Browser(app, "designer")
    on_task_page = fields(browser.get(f"/tasks/{task['id']}").get_data(as_text=True))
    drawn = preview(browser, form_data_of((FIXTURES / "form_task.bpmn").read_bytes(), "fill"))
    assert drawn.status_code == 200
    assert len(on_task_page) == 5
    assert fields(drawn.get_data(as_text=True)) == on_task_page


def test_a_field_is_drawn_with_its_type_constraints_and_choices(app):
    browser = Browser(app, "designer")
    drawn = preview(browser, f"""<camunda:formData {CAMUNDA}>
      <camunda:formField id="amount" label="金额" type="long" defaultValue="3">
        <camunda:validation><camunda:constraint name="required"/>
          <camunda:constraint name="min" config="1"/><camunda:constraint name="max" config="9"/>
        </camunda:validation></camunda:formField>
      <camunda:formField id="level" label="级别" type="enum">
        <camunda:value id="a" name="甲"/><camunda:value id="b" name="乙"/></camunda:formField>
    </camunda:formData>""".encode()).get_data(as_text=True)
    page = html.fromstring(drawn)
    (amount,) = page.xpath("//input[@name='amount']")
    assert (amount.get("type"), amount.get("value"), amount.get("min"), amount.get("max")) == \
        ("number", "3", "1.0", "9.0")
    assert page.xpath("//div[@data-field='amount']//span[@class='req']")
    assert [(r.get("value"), r.getparent().text_content().strip())
            for r in page.xpath("//input[@name='level']")] == [("a", "甲"), ("b", "乙")]


def test_an_empty_form_says_the_step_has_none(app):
    drawn = preview(Browser(app, "designer"), b"").get_data(as_text=True)
    assert "data-field=" not in drawn and "本环节无需填写表单" in drawn


def test_only_designers_preview_and_with_the_csrf_token(app):
    body = f"<camunda:formData {CAMUNDA}/>".encode()
    assert preview(Browser(app, "a-worker"), body).status_code == 403
    browser = Browser(app, "designer")
    refused = browser.client.post("/designer/form-preview", data=body,
                                  headers={"Content-Type": "application/xml"})
    assert refused.status_code == 400


def test_xml_with_a_doctype_is_refused_as_a_deployed_file_is(app):
    browser = Browser(app, "designer")
    drawn = preview(browser, b'<!DOCTYPE x [<!ENTITY e "x">]><camunda:formData ' +
                    CAMUNDA.encode() + b"/>")
    assert drawn.status_code == 422
    assert "DOCTYPE" in html.fromstring(drawn.get_data(as_text=True)).xpath(
        "//*[@data-testid='form-preview-problems']")[0].text_content()


def test_the_domain_types_help_and_conditions_are_drawn_as_on_the_task_page(app):
    """A unit picker lists the active units by name; a person and a file picker have no case to
    list from; help text under its field; a conditional field carries what it depends on."""
    drawn = preview(Browser(app, "designer"), f"""<camunda:formData {CAMUNDA}>
      <camunda:formField id="ways" label="方式" type="multi_enum">
        <camunda:value id="phone" name="电话"/><camunda:value id="letter" name="书面"/>
      </camunda:formField>
      <camunda:formField id="handler" label="承办单位" type="unit">
        <camunda:properties><camunda:property id="help" value="按名称选择"/>
          <camunda:property id="show_when" value="ways=letter"/></camunda:properties>
      </camunda:formField>
      <camunda:formField id="checker" label="核查人" type="person"/>
      <camunda:formField id="evidence" label="证据" type="file"/>
    </camunda:formData>""".encode())
    assert drawn.status_code == 200
    page = html.fromstring(drawn.get_data(as_text=True))
    assert [(b.get("type"), b.get("value")) for b in page.xpath("//input[@name='ways']")] == \
        [("checkbox", "phone"), ("checkbox", "letter")]
    (handler,) = page.xpath("//div[@data-field='handler']")
    assert (handler.get("data-show-field"), handler.get("data-show-values")) == ("ways", "letter")
    assert "town-a" in handler.xpath(".//select/option/@value")
    assert handler.xpath(".//*[@data-testid='help-handler']")[0].text == "按名称选择"
    assert page.xpath("//select[@name='checker']/option/@value") == [""]
    assert page.xpath("//select[@name='evidence']/option/@value") == [""]
    assert page.xpath("//*[@data-testid='file-hint-evidence']")
