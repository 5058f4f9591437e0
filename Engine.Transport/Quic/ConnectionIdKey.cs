using System.Buffers.Binary;

namespace Engine.Transport.Quic;

/// <summary>
/// A connection ID (0–20 bytes) as a dictionary key with no allocation: the bytes packed into
/// two 64-bit words and one 32-bit word, plus the length (so "00" and "0000" differ).
/// </summary>
internal readonly record struct ConnectionIdKey(ulong First, ulong Second, uint Third, byte Length)
{
    public static ConnectionIdKey From(ReadOnlySpan<byte> connectionId)
    {
        if (connectionId.Length > 20)
        {
            throw new ArgumentException("A QUIC v1 connection ID is at most 20 bytes.", nameof(connectionId));
        }

        Span<byte> padded = stackalloc byte[20];
        padded.Clear();
        connectionId.CopyTo(padded);
        return new ConnectionIdKey(
            BinaryPrimitives.ReadUInt64LittleEndian(padded),
            BinaryPrimitives.ReadUInt64LittleEndian(padded[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(padded[16..]),
            (byte)connectionId.Length);
    }
}
