using System.Buffers;
using MemoryPack;

namespace Engine.State.Serialization;

/// <summary>
/// Encodes and decodes Engine.State types (timestamps, CRDTs and their deltas) with MemoryPack.
/// Decoding builds a new object and validates it, so a malformed payload never touches an
/// existing replica: decode first, then merge.
/// </summary>
public static class StateCodec
{
    /// <summary>Encodes <paramref name="value"/> to a new array.</summary>
    public static byte[] Encode<T>(T value) => MemoryPackSerializer.Serialize(value);

    /// <summary>Encodes <paramref name="value"/> into <paramref name="writer"/>.</summary>
    public static void Encode<T>(IBufferWriter<byte> writer, T value)
        where T : notnull => MemoryPackSerializer.Serialize(writer, value);

    /// <summary>Decodes exactly one <typeparamref name="T"/> that fills <paramref name="bytes"/>.</summary>
    /// <exception cref="StateDecodeException">The bytes are truncated, malformed, have trailing data, or describe an invalid state.</exception>
    public static T Decode<T>(ReadOnlySpan<byte> bytes)
    {
        T? value = default;
        int consumed;
        try
        {
            consumed = MemoryPackSerializer.Deserialize(bytes, ref value);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new StateDecodeException(typeof(T), bytes.Length, ex.Message, ex);
        }

        if (value is null)
        {
            throw new StateDecodeException(typeof(T), bytes.Length, "the payload encodes null");
        }

        if (consumed != bytes.Length)
        {
            throw new StateDecodeException(typeof(T), bytes.Length, $"{bytes.Length - consumed} trailing bytes after the value");
        }

        return value;
    }

    /// <summary>Decodes exactly one <typeparamref name="T"/> that fills <paramref name="bytes"/>.</summary>
    /// <exception cref="StateDecodeException">As for the span overload.</exception>
    public static T Decode<T>(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return Decode<T>(bytes.FirstSpan);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(checked((int)bytes.Length));
        try
        {
            bytes.CopyTo(rented);
            return Decode<T>(rented.AsSpan(0, (int)bytes.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
