using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// ACK (types 0x02, and 0x03 with ECN counts; RFC 9000 §19.3). The ranges stay in their encoded
/// form (a slice of the packet) and are walked with <see cref="GetRanges"/>. <see cref="AckDelay"/>
/// is raw: the receiver scales it by the peer's ack_delay_exponent.
/// </summary>
internal readonly ref struct AckFrame : IQuicFrame
{
    public AckFrame(
        ulong largestAcknowledged, ulong ackDelay, ulong firstAckRange, ulong additionalRangeCount,
        ReadOnlySpan<byte> encodedAdditionalRanges, EcnCounts? ecnCounts)
    {
        LargestAcknowledged = largestAcknowledged;
        AckDelay = ackDelay;
        FirstAckRange = firstAckRange;
        AdditionalRangeCount = additionalRangeCount;
        EncodedAdditionalRanges = encodedAdditionalRanges;
        EcnCounts = ecnCounts;
    }

    public ulong LargestAcknowledged { get; }

    /// <summary>Encoded ACK Delay, before scaling by 2^ack_delay_exponent microseconds.</summary>
    public ulong AckDelay { get; }

    /// <summary>Packets acknowledged below the largest in the first range.</summary>
    public ulong FirstAckRange { get; }

    /// <summary>The ACK Range Count field: ranges after the first.</summary>
    public ulong AdditionalRangeCount { get; }

    /// <summary>The Gap/ACK Range Length pairs as received.</summary>
    public ReadOnlySpan<byte> EncodedAdditionalRanges { get; }

    /// <summary>Set for type 0x03.</summary>
    public EcnCounts? EcnCounts { get; }

    /// <summary>The acknowledged ranges, largest first (usable in foreach, no allocation).</summary>
    public AckRangeEnumerator GetRanges() =>
        new(LargestAcknowledged, FirstAckRange, AdditionalRangeCount, EncodedAdditionalRanges);

    /// <summary>
    /// FRAME_ENCODING_ERROR when truncated or when a range reaches below packet number 0
    /// (RFC 9000 §19.3.1).
    /// </summary>
    public static QuicTransportErrorCode TryRead(ref SpanReader reader, out AckFrame frame)
    {
        frame = default;
        if (!QuicFrameReading.TryReadType(ref reader, QuicFrameType.Ack, QuicFrameType.AckEcn, out ulong type)
            || !reader.TryReadVarint(out ulong largest)
            || !reader.TryReadVarint(out ulong ackDelay)
            || !reader.TryReadVarint(out ulong rangeCount)
            || !reader.TryReadVarint(out ulong firstRange)
            || firstRange > largest)
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        // Each range takes at least two bytes: a count beyond that is truncated, and bounding it
        // here keeps the validation loop proportional to the packet.
        if (rangeCount > (ulong)reader.Remaining / 2)
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        int rangesStart = reader.Position;
        ulong smallest = largest - firstRange;
        for (ulong i = 0; i < rangeCount; i++)
        {
            if (!reader.TryReadVarint(out ulong gap)
                || !reader.TryReadVarint(out ulong length)
                || smallest < 2 || gap > smallest - 2)
            {
                return QuicTransportErrorCode.FrameEncodingError;
            }

            ulong rangeLargest = smallest - gap - 2;
            if (length > rangeLargest)
            {
                return QuicTransportErrorCode.FrameEncodingError;
            }

            smallest = rangeLargest - length;
        }

        ReadOnlySpan<byte> encodedRanges = reader.Buffer[rangesStart..reader.Position];
        EcnCounts? ecn = null;
        if (type == (ulong)QuicFrameType.AckEcn)
        {
            if (!reader.TryReadVarint(out ulong ect0) || !reader.TryReadVarint(out ulong ect1) || !reader.TryReadVarint(out ulong ce))
            {
                return QuicTransportErrorCode.FrameEncodingError;
            }

            ecn = new EcnCounts(ect0, ect1, ce);
        }

        frame = new AckFrame(largest, ackDelay, firstRange, rangeCount, encodedRanges, ecn);
        return QuicTransportErrorCode.NoError;
    }

    public int GetLength() =>
        1 + VarInt.GetLength(LargestAcknowledged) + VarInt.GetLength(AckDelay)
        + VarInt.GetLength(AdditionalRangeCount) + VarInt.GetLength(FirstAckRange)
        + EncodedAdditionalRanges.Length + (EcnCounts?.GetLength() ?? 0);

    /// <summary>Writes the frame as it was read (ranges copied in their encoded form).</summary>
    public void Write(ref SpanWriter writer)
    {
        writer.WriteByte((byte)(EcnCounts is null ? QuicFrameType.Ack : QuicFrameType.AckEcn));
        writer.WriteVarint(LargestAcknowledged);
        writer.WriteVarint(AckDelay);
        writer.WriteVarint(AdditionalRangeCount);
        writer.WriteVarint(FirstAckRange);
        writer.WriteBytes(EncodedAdditionalRanges);
        WriteEcn(ref writer, EcnCounts);
    }

    /// <summary>Size of an ACK frame for <paramref name="rangesDescending"/> (largest range first, non-adjacent).</summary>
    public static int GetLength(ReadOnlySpan<AckRange> rangesDescending, ulong ackDelay, EcnCounts? ecnCounts)
    {
        ValidateRanges(rangesDescending);
        AckRange first = rangesDescending[0];
        int length = 1 + VarInt.GetLength(first.Largest) + VarInt.GetLength(ackDelay)
            + VarInt.GetLength((ulong)(rangesDescending.Length - 1)) + VarInt.GetLength(first.Largest - first.Smallest);
        for (int i = 1; i < rangesDescending.Length; i++)
        {
            length += VarInt.GetLength(rangesDescending[i - 1].Smallest - rangesDescending[i].Largest - 2)
                + VarInt.GetLength(rangesDescending[i].Largest - rangesDescending[i].Smallest);
        }

        return length + (ecnCounts?.GetLength() ?? 0);
    }

    /// <summary>
    /// Writes an ACK frame for <paramref name="rangesDescending"/>: at least one range, largest first,
    /// each separated from the next by at least one missing packet.
    /// </summary>
    public static void Write(ref SpanWriter writer, scoped ReadOnlySpan<AckRange> rangesDescending, ulong ackDelay, EcnCounts? ecnCounts)
    {
        ValidateRanges(rangesDescending);
        AckRange first = rangesDescending[0];
        writer.WriteByte((byte)(ecnCounts is null ? QuicFrameType.Ack : QuicFrameType.AckEcn));
        writer.WriteVarint(first.Largest);
        writer.WriteVarint(ackDelay);
        writer.WriteVarint((ulong)(rangesDescending.Length - 1));
        writer.WriteVarint(first.Largest - first.Smallest);
        for (int i = 1; i < rangesDescending.Length; i++)
        {
            writer.WriteVarint(rangesDescending[i - 1].Smallest - rangesDescending[i].Largest - 2);
            writer.WriteVarint(rangesDescending[i].Largest - rangesDescending[i].Smallest);
        }

        WriteEcn(ref writer, ecnCounts);
    }

    private static void WriteEcn(ref SpanWriter writer, EcnCounts? ecnCounts)
    {
        if (ecnCounts is { } ecn)
        {
            writer.WriteVarint(ecn.Ect0);
            writer.WriteVarint(ecn.Ect1);
            writer.WriteVarint(ecn.EcnCe);
        }
    }

    private static void ValidateRanges(ReadOnlySpan<AckRange> rangesDescending)
    {
        if (rangesDescending.IsEmpty)
        {
            throw new ArgumentException("An ACK frame acknowledges at least one range.", nameof(rangesDescending));
        }

        for (int i = 0; i < rangesDescending.Length; i++)
        {
            AckRange range = rangesDescending[i];
            if (range.Smallest > range.Largest || range.Largest > VarInt.MaxValue)
            {
                throw new ArgumentException($"Range {i} ({range.Smallest}..{range.Largest}) is inverted or too large.", nameof(rangesDescending));
            }

            // The Gap field encodes (missing packets - 1), so ranges must be at least one packet apart.
            if (i > 0 && (rangesDescending[i - 1].Smallest < 2 || range.Largest > rangesDescending[i - 1].Smallest - 2))
            {
                throw new ArgumentException($"Range {i} is not below range {i - 1} with a gap of at least one packet.", nameof(rangesDescending));
            }
        }
    }
}
