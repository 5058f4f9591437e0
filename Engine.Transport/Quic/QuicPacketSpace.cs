namespace Engine.Transport.Quic;

/// <summary>
/// The three packet-number spaces (RFC 9000 §12.3), which are also the encryption levels TLS
/// hands data to (RFC 9001 §4.1.4): Initial, Handshake and 1-RTT ("application data").
/// 0-RTT is not supported, so it has no level here.
/// </summary>
internal enum QuicPacketSpace
{
    Initial = 0,
    Handshake = 1,
    ApplicationData = 2,
}
