using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Engine.Transport.Coding;

/// <summary>
/// A forward-only, allocation-free cursor that fills a caller's buffer. Running out of space is
/// a caller bug (sizes are computed with GetLength first), so it throws
/// <see cref="InvalidOperationException"/> naming how much was needed.
/// </summary>
internal ref struct SpanWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public SpanWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Position => _position;

    /// <summary>Space left.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>The bytes written so far.</summary>
    public readonly Span<byte> Written => _buffer[.._position];

    /// <summary>The whole destination buffer (for patching a reserved field after the fact).</summary>
    public readonly Span<byte> Buffer => _buffer;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarint(ulong value)
    {
        int length = VarInt.GetLength(value);
        EnsureSpace(length);
        VarInt.WriteWithLength(_buffer[_position..], value, length);
        _position += length;
    }

    /// <summary>Writes a varint in a fixed number of bytes (1, 2, 4 or 8).</summary>
    public void WriteVarint(ulong value, int length)
    {
        EnsureSpace(length);
        VarInt.WriteWithLength(_buffer[_position..], value, length);
        _position += length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteByte(byte value)
    {
        EnsureSpace(1);
        _buffer[_position++] = value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        EnsureSpace(bytes.Length);
        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    public void WriteUInt16(ushort value)
    {
        EnsureSpace(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_position..], value);
        _position += 2;
    }

    public void WriteUInt24(uint value)
    {
        if (value > 0xFF_FFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A 24-bit field holds at most 0xFFFFFF.");
        }

        EnsureSpace(3);
        _buffer[_position] = (byte)(value >> 16);
        _buffer[_position + 1] = (byte)(value >> 8);
        _buffer[_position + 2] = (byte)value;
        _position += 3;
    }

    public void WriteUInt32(uint value)
    {
        EnsureSpace(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_position..], value);
        _position += 4;
    }

    /// <summary>Writes <paramref name="count"/> zero bytes (PADDING frames are zero bytes).</summary>
    /// <summary>Counts <paramref name="count"/> bytes as written that a nested writer filled in place at <see cref="Position"/>.</summary>
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        EnsureSpace(count);
        _position += count;
    }

    public void WriteZeros(int count)
    {
        EnsureSpace(count);
        _buffer.Slice(_position, count).Clear();
        _position += count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void EnsureSpace(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            ThrowOutOfSpace(count);
        }
    }

    [DoesNotReturn]
    private readonly void ThrowOutOfSpace(int count) =>
        throw new InvalidOperationException(
            $"SpanWriter is out of space: writing {count} byte(s) at position {_position} of a {_buffer.Length}-byte buffer.");
}
