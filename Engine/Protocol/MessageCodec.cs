using System.Buffers;
using MemoryPack;

namespace Engine.Protocol;

/// <summary>
/// Frames messages as one <see cref="MessageType"/> byte followed by the MemoryPack body.
/// Decoding reuses caller-owned instances (MemoryPack overwrites them), so a connection's steady
/// stream of inputs and pings allocates nothing per message.
/// </summary>
public static class MessageCodec
{
    /// <summary>Writes <paramref name="message"/> with its type byte.</summary>
    public static void Write<T>(IBufferWriter<byte> writer, T message)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> tag = writer.GetSpan(1);
        tag[0] = (byte)MessageCatalog.Of<T>.Type;
        writer.Advance(1);
        MemoryPackSerializer.Serialize(writer, message);
    }

    /// <summary>Encodes <paramref name="message"/> to a new array (for events encoded once and sent to many).</summary>
    public static byte[] ToArray<T>(T message)
        where T : class
    {
        var writer = new ArrayBufferWriter<byte>(64);
        Write(writer, message);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Reads the type byte.</summary>
    /// <exception cref="ProtocolException">The payload is empty or the type is unknown.</exception>
    public static MessageType ReadType(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            throw new ProtocolException("Empty message: every message starts with a type byte.");
        }

        var type = (MessageType)payload[0];
        if (!Enum.IsDefined(type))
        {
            throw new ProtocolException($"Unknown message type 0x{payload[0]:x2}.");
        }

        return type;
    }

    /// <summary>Decodes the body after the type byte into <paramref name="message"/>, reusing it when not null.</summary>
    /// <exception cref="ProtocolException">The body is malformed, truncated, null, has a null member the
    /// schema does not mark nullable (see <see cref="NonNullableMembers"/>), or is followed by extra bytes.</exception>
    public static void ReadBody<T>(ReadOnlySpan<byte> payload, ref T? message)
        where T : class
    {
        int consumed;
        try
        {
            consumed = MemoryPackSerializer.Deserialize(payload[1..], ref message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ProtocolException($"Malformed {typeof(T).Name}: {ex.Message}", ex);
        }

        if (message is null)
        {
            throw new ProtocolException($"Malformed {typeof(T).Name}: the body is null.");
        }

        if (NonNullableMembers.FindNull(message) is { } member)
        {
            throw new ProtocolException($"Malformed {typeof(T).Name}: {member} is null, which the protocol does not allow.");
        }

        if (consumed != payload.Length - 1)
        {
            throw new ProtocolException($"Malformed {typeof(T).Name}: {payload.Length - 1 - consumed} bytes after the body.");
        }
    }

    /// <summary>Decodes a whole message of a known type into a new instance.</summary>
    public static T Read<T>(ReadOnlySpan<byte> payload)
        where T : class
    {
        MessageType type = ReadType(payload);
        if (type != MessageCatalog.Of<T>.Type)
        {
            throw new ProtocolException($"Expected {MessageCatalog.Of<T>.Type}, got {type}.");
        }

        T? message = null;
        ReadBody(payload, ref message);
        return message!;
    }
}
