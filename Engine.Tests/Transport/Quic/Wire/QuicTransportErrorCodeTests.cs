using Engine.Transport.Quic.Wire;

namespace Engine.Tests.Transport.Quic.Wire;

public class QuicTransportErrorCodeTests
{
    [Fact]
    public void Values_MatchRfc9000Section20()
    {
        Assert.Equal(0x0UL, (ulong)QuicTransportErrorCode.NoError);
        Assert.Equal(0x7UL, (ulong)QuicTransportErrorCode.FrameEncodingError);
        Assert.Equal(0xaUL, (ulong)QuicTransportErrorCode.ProtocolViolation);
        Assert.Equal(0xdUL, (ulong)QuicTransportErrorCode.CryptoBufferExceeded);
        Assert.Equal(0xeUL, (ulong)QuicTransportErrorCode.KeyUpdateError);
        Assert.Equal(0xfUL, (ulong)QuicTransportErrorCode.AeadLimitReached);
        Assert.Equal(0x10UL, (ulong)QuicTransportErrorCode.NoViablePath);
    }

    [Fact]
    public void CryptoError_TlsAlert_MapsIntoThe0x100Range()
    {
        QuicTransportErrorCode code = QuicTransportErrors.CryptoError(120); // no_application_protocol

        Assert.Equal(0x178UL, (ulong)code);
        Assert.True(QuicTransportErrors.IsCryptoError(code));
        Assert.True(QuicTransportErrors.TryGetTlsAlert(code, out byte alert));
        Assert.Equal(120, alert);
        Assert.False(QuicTransportErrors.TryGetTlsAlert(QuicTransportErrorCode.ProtocolViolation, out _));
        Assert.False(QuicTransportErrors.IsCryptoError((QuicTransportErrorCode)0x200));
    }
}
