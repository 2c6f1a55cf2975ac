package io.keybrake.core.twiml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keybrake.core.decision.RefusalCode;
import io.keybrake.core.decision.RequestRejected;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TwimlReaderTest {

  @Test
  void everyDialAndSendTargetIsFoundInDocumentOrder() throws RequestRejected {
    Twiml t =
        TwimlReader.read(
            "<?xml version=\"1.0\"?><Response><Say>hi</Say><Dial>+2348031234567</Dial>"
                + "<Dial><Number>+19002345678</Number><Sip>sip:a@b.test</Sip>"
                + "<Client>alice</Client><Conference>room</Conference></Dial>"
                + "<Sms to=\"+447700900123\">x</Sms><Message to=\"+33612345678\"><Body>yo</Body>"
                + "</Message><Enqueue>support</Enqueue></Response>");

    assertThat(t.targets())
        .containsExactly(
            new TwimlTarget.Phone("Dial", "+2348031234567"),
            new TwimlTarget.Phone("Number", "+19002345678"),
            new TwimlTarget.Opaque("Sip", "sip:a@b.test"),
            new TwimlTarget.InAccount("Client", "alice"),
            new TwimlTarget.InAccount("Conference", "room"),
            new TwimlTarget.Message("Sms", "+447700900123", "x"),
            new TwimlTarget.Message("Message", "+33612345678", "yo"),
            new TwimlTarget.InAccount("Enqueue", "support"));
    assertThat(t.handoffs()).isEmpty();
  }

  @Test
  void elementAndAttributeNamesAreReadWithoutRegardToCase() throws RequestRejected {
    Twiml t =
        TwimlReader.read(
            "<response><DIAL ACTION=\"https://x.test/a\"><number>+2348031234567</number></DIAL>"
                + "<redirect>https://x.test/b</redirect></response>");

    assertThat(t.targets()).containsExactly(new TwimlTarget.Phone("Number", "+2348031234567"));
    assertThat(t.handoffs())
        .containsExactly(
            new TwimlHandoff("<Dial action>", "https://x.test/a"),
            new TwimlHandoff("<Redirect>", "https://x.test/b"));
  }

  @Test
  void everyUrlWhoseTwimlTwilioRunsLaterIsAHandoff() throws RequestRejected {
    Twiml t =
        TwimlReader.read(
            "<Response><Gather action=\"https://x.test/g\"><Say>press 1</Say></Gather>"
                + "<Record action=\"https://x.test/r\"/><Enqueue waitUrl=\"https://x.test/w\">q"
                + "</Enqueue><Dial><Number url=\"https://x.test/n\">+14155552671</Number></Dial>"
                + "</Response>");

    assertThat(t.handoffs())
        .extracting(TwimlHandoff::url)
        .containsExactly(
            "https://x.test/g", "https://x.test/r", "https://x.test/w", "https://x.test/n");
  }

  @Test
  void anExternalEntityIsNeverResolved() {
    String xxe =
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
            + "<Response><Dial>&x;</Dial></Response>";

    assertThatThrownBy(() -> TwimlReader.read(xxe))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "<Response>",
        "<Foo/>",
        "<Response/><Response/>",
        "text<Response/>",
        "<!DOCTYPE Response><Response/>",
        "<Response><Dial>&amp;</Dial><Dial>&lt;</Dial>&foo;</Response>"
      })
  void malformedOrSuspiciousTwimlIsUnreadable(String text) {
    assertThatThrownBy(() -> TwimlReader.read(text))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.UNREADABLE_REQUEST));
  }

  @Test
  void twimlOverTwiliosLimitIsUnreadable() {
    String big = "<Response><Say>" + "a".repeat(TwimlReader.MAX_CHARS) + "</Say></Response>";

    assertThatThrownBy(() -> TwimlReader.read(big)).isInstanceOf(RequestRejected.class);
  }

  @Test
  void deepNestingIsUnreadable() {
    String deep = "<Response>" + "<Say>".repeat(40) + "</Say>".repeat(40) + "</Response>";

    assertThatThrownBy(() -> TwimlReader.read(deep)).isInstanceOf(RequestRejected.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "<Response><Refer><Sip>sip:x@y.test</Sip></Refer></Response>",
        "<Response><Connect><Stream url=\"wss://x.test\"/></Connect></Response>",
        "<Response><Say><Dial>+2348031234567</Dial></Say></Response>",
        "<Response><Pay/></Response>"
      })
  void anElementKeybrakeCannotCheckIsNotAllowed(String text) {
    assertThatThrownBy(() -> TwimlReader.read(text))
        .isInstanceOfSatisfying(
            RequestRejected.class,
            e -> assertThat(e.refusal().code()).isEqualTo(RefusalCode.DESTINATION_NOT_ALLOWED));
  }
}
