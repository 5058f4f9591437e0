using Engine.Transport.Coding;

namespace Engine.Transport.Tls;

/// <summary>Reading TLS length-prefixed vectors (RFC 8446 §3.4) from a <see cref="SpanReader"/>.</summary>
internal static class TlsVectors
{
    public static bool TryReadVector8(scoped ref SpanReader reader, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        return reader.TryReadByte(out byte length) && reader.TryReadBytes(length, out vector);
    }

    public static bool TryReadVector16(scoped ref SpanReader reader, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        return reader.TryReadUInt16(out ushort length) && reader.TryReadBytes(length, out vector);
    }

    public static bool TryReadVector24(scoped ref SpanReader reader, out ReadOnlySpan<byte> vector)
    {
        vector = default;
        return reader.TryReadUInt24(out uint length) && reader.TryReadBytes((int)length, out vector);
    }
}
