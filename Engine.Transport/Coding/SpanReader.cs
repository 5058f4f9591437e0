using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Engine.Transport.Coding;

/// <summary>
/// A forward-only, allocation-free cursor over received bytes. Every read is a Try: on failure
/// the position is unchanged and the caller reports a protocol error instead of throwing.
/// </summary>
internal ref struct SpanReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public SpanReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes not yet consumed.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>The unconsumed bytes.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[_position..];

    /// <summary>The whole buffer, consumed or not.</summary>
    public readonly ReadOnlySpan<byte> Buffer => _buffer;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadVarint(out ulong value)
    {
        if (!VarInt.TryRead(_buffer[_position..], out value, out int consumed))
        {
            return false;
        }

        _position += consumed;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadByte(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return false;
        }

        value = _buffer[_position++];
        return true;
    }

    /// <summary>Looks at the next byte without consuming it.</summary>
    public readonly bool TryPeekByte(out byte value)
    {
        if (_position >= _buffer.Length)
        {
            value = 0;
            return false;
        }

        value = _buffer[_position];
        return true;
    }

    /// <summary>Takes the next <paramref name="count"/> bytes as a slice of the input (no copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        if ((uint)count > (uint)Remaining)
        {
            bytes = default;
            return false;
        }

        bytes = _buffer.Slice(_position, count);
        _position += count;
        return true;
    }

    /// <summary>
    /// Takes a length-prefixed slice whose length arrived as a varint; fails when the length is
    /// larger than what remains (so a huge length never overflows an int).
    /// </summary>
    public bool TryReadBytes(ulong count, out ReadOnlySpan<byte> bytes)
    {
        if (count > (ulong)Remaining)
        {
            bytes = default;
            return false;
        }

        return TryReadBytes((int)count, out bytes);
    }

    /// <summary>Takes everything that remains.</summary>
    public ReadOnlySpan<byte> ReadToEnd()
    {
        ReadOnlySpan<byte> rest = _buffer[_position..];
        _position = _buffer.Length;
        return rest;
    }

    public bool TryReadUInt16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]);
        _position += 2;
        return true;
    }

    public bool TryReadUInt24(out uint value)
    {
        if (Remaining < 3)
        {
            value = 0;
            return false;
        }

        ReadOnlySpan<byte> bytes = _buffer.Slice(_position, 3);
        value = (uint)(bytes[0] << 16 | bytes[1] << 8 | bytes[2]);
        _position += 3;
        return true;
    }

    public bool TryReadUInt32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }

        value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return true;
    }

    public bool TrySkip(int count)
    {
        if ((uint)count > (uint)Remaining)
        {
            return false;
        }

        _position += count;
        return true;
    }
}
