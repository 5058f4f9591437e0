using System.Buffers.Binary;

namespace Engine.Transport.WebTransport;

/// <summary>
/// How an Engine message rides WebTransport datagrams (docs/protocol.md, "WebTransport"): one kind
/// byte, then either the whole message (kind 0) or a fragment (kind 1: message id u16 LE, index u8,
/// count u8, then a slice). Messages larger than one datagram are split into at most
/// <see cref="MaxFragments"/> fragments; the receiver drops a message it did not get whole.
/// </summary>
public static class MessageDatagrams
{
    /// <summary>The kind byte of a datagram holding one whole message.</summary>
    public const byte WholeKind = 0x00;

    /// <summary>The kind byte of a datagram holding one fragment.</summary>
    public const byte FragmentKind = 0x01;

    /// <summary>Bytes before a whole message: the kind.</summary>
    public const int WholeHeaderLength = 1;

    /// <summary>Bytes before a fragment's slice: kind, message id (2), index, count.</summary>
    public const int FragmentHeaderLength = 5;

    /// <summary>The most fragments one message may take.</summary>
    public const int MaxFragments = 64;

    /// <summary>How many datagrams <paramref name="messageLength"/> bytes take under <paramref name="maxDatagram"/>; 0 when they cannot be sent (too large, or no room).</summary>
    public static int CountDatagrams(int messageLength, int maxDatagram)
    {
        if (messageLength + WholeHeaderLength <= maxDatagram)
        {
            return 1;
        }

        int slice = maxDatagram - FragmentHeaderLength;
        if (slice <= 0)
        {
            return 0;
        }

        int count = (messageLength + slice - 1) / slice;
        return count is >= 2 and <= MaxFragments ? count : 0;
    }

    /// <summary>
    /// Writes datagram <paramref name="index"/> of <paramref name="count"/> for <paramref name="message"/>
    /// into <paramref name="destination"/> (at least <paramref name="maxDatagram"/> bytes); returns its length.
    /// </summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> message, int maxDatagram, int count, int index, ushort messageId)
    {
        if (count == 1)
        {
            destination[0] = WholeKind;
            message.CopyTo(destination[1..]);
            return message.Length + 1;
        }

        int slice = maxDatagram - FragmentHeaderLength;
        int start = index * slice;
        int length = Math.Min(slice, message.Length - start);
        destination[0] = FragmentKind;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[1..], messageId);
        destination[3] = (byte)index;
        destination[4] = (byte)count;
        message.Slice(start, length).CopyTo(destination[FragmentHeaderLength..]);
        return FragmentHeaderLength + length;
    }

    /// <summary>
    /// Reads a kind-1 datagram's header: false unless it is a fragment with 2–<see cref="MaxFragments"/>
    /// as its count, an index below it and a non-empty slice.
    /// </summary>
    public static bool TryReadFragment(ReadOnlySpan<byte> datagram, out ushort messageId, out int index, out int count, out ReadOnlySpan<byte> slice)
    {
        messageId = 0;
        index = 0;
        count = 0;
        slice = default;
        if (datagram.Length <= FragmentHeaderLength || datagram[0] != FragmentKind)
        {
            return false;
        }

        messageId = BinaryPrimitives.ReadUInt16LittleEndian(datagram[1..]);
        index = datagram[3];
        count = datagram[4];
        slice = datagram[FragmentHeaderLength..];
        return count is >= 2 and <= MaxFragments && index < count;
    }

    /// <summary>The message inside a kind-0 datagram; false for fragments, empty or unknown kinds.</summary>
    public static bool TryReadWhole(ReadOnlySpan<byte> datagram, out ReadOnlySpan<byte> message)
    {
        if (datagram.Length >= 2 && datagram[0] == WholeKind)
        {
            message = datagram[1..];
            return true;
        }

        message = default;
        return false;
    }
}
