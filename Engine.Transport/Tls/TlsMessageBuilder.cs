using System.Buffers.Binary;

namespace Engine.Transport.Tls;

/// <summary>
/// Builds TLS handshake messages whose size is not known up front: a growable buffer with
/// big-endian fields and length-prefixed vectors whose length is patched when they close.
/// Only our own messages are built here, so an oversized vector is a bug and throws.
/// </summary>
internal sealed class TlsMessageBuilder
{
    private byte[] buffer = new byte[512];
    private int length;

    /// <summary>Bytes written so far.</summary>
    public int Length => length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, length);

    public void WriteByte(byte value) => Reserve(1)[0] = value;

    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), value);

    public void WriteBytes(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>Starts a handshake message: type and a 24-bit length closed by <see cref="EndVector"/>.</summary>
    public int BeginMessage(TlsHandshakeType type)
    {
        WriteByte((byte)type);
        return BeginVector(3);
    }

    /// <summary>Reserves a length prefix of <paramref name="lengthBytes"/> (1, 2 or 3); returns the vector's start.</summary>
    public int BeginVector(int lengthBytes)
    {
        Reserve(lengthBytes).Clear();
        return (length << 2) | lengthBytes;
    }

    /// <summary>Patches the length prefix of the vector begun at <paramref name="token"/>.</summary>
    public void EndVector(int token)
    {
        int lengthBytes = token & 3;
        int start = token >> 2;
        int vectorLength = length - start;
        if (vectorLength >= 1 << (8 * lengthBytes))
        {
            throw new InvalidOperationException($"A {vectorLength}-byte vector does not fit a {lengthBytes}-byte length.");
        }

        for (int i = 1; i <= lengthBytes; i++)
        {
            buffer[start - i] = (byte)(vectorLength >> (8 * (i - 1)));
        }
    }

    /// <summary>Writes a vector with a <paramref name="lengthBytes"/>-byte length prefix.</summary>
    public void WriteVector(int lengthBytes, ReadOnlySpan<byte> bytes)
    {
        int token = BeginVector(lengthBytes);
        WriteBytes(bytes);
        EndVector(token);
    }

    /// <summary>A copy of the bytes written so far.</summary>
    public byte[] ToArray() => Written.ToArray();

    private Span<byte> Reserve(int count)
    {
        if (buffer.Length - length < count)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, length + count));
        }

        Span<byte> span = buffer.AsSpan(length, count);
        length += count;
        return span;
    }
}
