namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// WebTransport error codes in the HTTP/3 error space (draft-ietf-webtrans-http3-02 §4.3, §9.5).
/// A session's 32-bit application codes travel in RESET_STREAM and STOP_SENDING as HTTP/3 codes
/// from a reserved range; the mapping steps over every HTTP/3 GREASE code point (0x1f * N + 0x21)
/// inside that range, so the peer never mistakes an application code for GREASE.
/// </summary>
/// <remarks>
/// Draft-02 itself defines only 8-bit codes (0..0xff, up to <see cref="Draft02LastApplicationCode"/>);
/// later drafts widened them to 32 bits with the same formula, and Chromium's QUIC stack (quiche)
/// accepts the 32-bit range whatever the draft, so the 32-bit mapping is a compatible superset.
/// </remarks>
public static class WebTransportErrorCodes
{
    /// <summary>WEBTRANSPORT_APPLICATION_ERROR base: the HTTP/3 code of application code 0.</summary>
    public const ulong FirstApplicationCode = 0x52e4a40fa8db;

    /// <summary>The HTTP/3 code of application code <see cref="uint.MaxValue"/>, the end of the range.</summary>
    public const ulong LastApplicationCode = 0x52e5ac983162;

    /// <summary>The HTTP/3 code of application code 0xff, the end of draft-02's 8-bit range.</summary>
    public const ulong Draft02LastApplicationCode = 0x52e4a40fa9e2;

    /// <summary>WEBTRANSPORT_BUFFERED_STREAM_REJECTED: a stream for an unknown session was not kept.</summary>
    public const ulong BufferedStreamRejected = 0x3994bd84;

    /// <summary>WEBTRANSPORT_SESSION_GONE: the stream's session has closed.</summary>
    public const ulong SessionGone = 0x170d7b68;

    // Every 30 application codes the HTTP/3 range skips one code: the GREASE point 0x1f*N + 0x21
    // (FirstApplicationCode is congruent to 0x21 + 3 mod 0x1f, so the skipped offsets are 0x1e, 0x3d, ...).
    private const ulong CodesPerGap = 0x1e;
    private const ulong Stride = 0x1f;
    private const ulong GreaseOffset = 0x21;

    /// <summary>The HTTP/3 code that carries application code <paramref name="applicationCode"/>: base + e + e/0x1e.</summary>
    public static ulong ToHttp3(uint applicationCode) =>
        FirstApplicationCode + applicationCode + (applicationCode / CodesPerGap);

    /// <summary>
    /// The application code an HTTP/3 code carries. False for codes outside
    /// [<see cref="FirstApplicationCode"/>, <see cref="LastApplicationCode"/>] and for GREASE code
    /// points inside it (no application code maps to them), so the caller treats those as plain HTTP/3 codes.
    /// </summary>
    public static bool TryFromHttp3(ulong http3Code, out uint applicationCode)
    {
        applicationCode = 0;
        if (http3Code is < FirstApplicationCode or > LastApplicationCode
            || (http3Code - GreaseOffset) % Stride == 0)
        {
            return false;
        }

        ulong shifted = http3Code - FirstApplicationCode;
        applicationCode = (uint)(shifted - (shifted / Stride));
        return true;
    }
}
