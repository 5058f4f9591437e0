namespace Engine.Transport.Http3.QPack;

/// <summary>
/// Decodes encoded field sections (RFC 9204 §4.5) for a peer whose dynamic table capacity is 0, so any
/// reference to the dynamic table is QPACK_DECOMPRESSION_FAILED. One instance per connection (or per stream);
/// not thread-safe. Its scratch buffer holds Huffman-decoded strings and only grows, so steady-state decoding
/// does not allocate.
/// </summary>
internal sealed class QPackDecoder
{
    /// <summary>Per-field overhead in the field section size (RFC 9114 §4.2.2, RFC 9204 §3.2.1).</summary>
    public const int FieldOverhead = 32;

    private byte[] _scratch = [];

    /// <summary>
    /// Decodes one whole field section, calling <paramref name="handler"/> per field line in order.
    /// <paramref name="maxFieldSectionSize"/> bounds the decoded size (name + value + 32 per field); over it
    /// the result is <see cref="QPackStatus.FieldSectionTooLarge"/>. Fields delivered before an error stand;
    /// the caller discards them.
    /// </summary>
    public QPackStatus Decode<THandler>(ReadOnlySpan<byte> fieldSection, long maxFieldSectionSize, ref THandler handler)
        where THandler : IQPackHeaderHandler
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxFieldSectionSize);

        // Prefix (§4.5.1): Required Insert Count, then sign bit and Delta Base.
        if (QPackIntegers.TryRead(fieldSection, 8, out ulong encodedInsertCount, out int consumed) != QPackReadStatus.Success
            || encodedInsertCount != 0)
        {
            // With a capacity of 0 (MaxEntries 0) only 0 is a valid encoding (§4.5.1.1).
            return QPackStatus.DecompressionFailed;
        }

        ReadOnlySpan<byte> rest = fieldSection[consumed..];
        // Base only matters for dynamic references, which are all errors here; it must still be well-formed.
        if (QPackIntegers.TryRead(rest, 7, out _, out consumed) != QPackReadStatus.Success)
        {
            return QPackStatus.DecompressionFailed;
        }

        rest = rest[consumed..];
        long remainingBudget = maxFieldSectionSize;
        while (!rest.IsEmpty)
        {
            QPackStatus status = DecodeFieldLine(ref rest, ref remainingBudget, ref handler);
            if (status != QPackStatus.Success)
            {
                return status;
            }
        }

        return QPackStatus.Success;
    }

    private QPackStatus DecodeFieldLine<THandler>(ref ReadOnlySpan<byte> rest, ref long remainingBudget, ref THandler handler)
        where THandler : IQPackHeaderHandler
    {
        byte first = rest[0];
        ulong index;
        int consumed;
        if ((first & 0x80) != 0)
        {
            // Indexed Field Line (§4.5.2): 1 T Index(6+).
            if ((first & 0x40) == 0
                || QPackIntegers.TryRead(rest, 6, out index, out consumed) != QPackReadStatus.Success
                || index >= QPackStaticTable.Count)
            {
                return QPackStatus.DecompressionFailed;
            }

            rest = rest[consumed..];
            return Deliver(QPackStaticTable.GetName((int)index), QPackStaticTable.GetValue((int)index), ref remainingBudget, ref handler);
        }

        if ((first & 0x40) != 0)
        {
            // Literal Field Line with Name Reference (§4.5.4): 0 1 N T NameIndex(4+), value literal.
            // N (never index) only matters to intermediaries re-encoding; we do not re-encode.
            if ((first & 0x10) == 0
                || QPackIntegers.TryRead(rest, 4, out index, out consumed) != QPackReadStatus.Success
                || index >= QPackStaticTable.Count)
            {
                return QPackStatus.DecompressionFailed;
            }

            ReadOnlySpan<byte> name = QPackStaticTable.GetName((int)index);
            rest = rest[consumed..];
            if (!CheckBudget(name.Length, remainingBudget))
            {
                return QPackStatus.FieldSectionTooLarge;
            }

            QPackStatus valueStatus = ReadString(ref rest, 7, scratchOffset: 0, remainingBudget - FieldOverhead - name.Length, out ReadOnlySpan<byte> value);
            return valueStatus != QPackStatus.Success
                ? valueStatus
                : Deliver(name, value, ref remainingBudget, ref handler);
        }

        if ((first & 0x20) != 0)
        {
            // Literal Field Line with Literal Name (§4.5.6): 0 0 1 N H NameLength(3+), name, value literal.
            if (!CheckBudget(0, remainingBudget))
            {
                return QPackStatus.FieldSectionTooLarge;
            }

            QPackStatus nameStatus = ReadString(ref rest, 3, scratchOffset: 0, remainingBudget - FieldOverhead, out ReadOnlySpan<byte> name);
            if (nameStatus != QPackStatus.Success)
            {
                return nameStatus;
            }

            // A Huffman name sits at the start of the scratch buffer; the value goes after it.
            int valueOffset = name.Length;
            QPackStatus valueStatus = ReadString(ref rest, 7, valueOffset, remainingBudget - FieldOverhead - name.Length, out ReadOnlySpan<byte> value);
            if (valueStatus != QPackStatus.Success)
            {
                return valueStatus;
            }

            return Deliver(name, value, ref remainingBudget, ref handler);
        }

        // 0001: Indexed Field Line with Post-Base Index; 0000: Literal with Post-Base Name Reference.
        // Both refer to the dynamic table, which has capacity 0.
        return QPackStatus.DecompressionFailed;
    }

    private static bool CheckBudget(int bytes, long remainingBudget) => FieldOverhead + (long)bytes <= remainingBudget;

    private static QPackStatus Deliver<THandler>(
        ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, ref long remainingBudget, ref THandler handler)
        where THandler : IQPackHeaderHandler
    {
        long size = FieldOverhead + (long)name.Length + value.Length;
        if (size > remainingBudget)
        {
            return QPackStatus.FieldSectionTooLarge;
        }

        remainingBudget -= size;
        handler.OnHeader(name, value);
        return QPackStatus.Success;
    }

    /// <summary>
    /// Reads a string literal. Raw strings are returned as a slice of the input; Huffman strings are decoded
    /// into scratch at <paramref name="scratchOffset"/>, never beyond <paramref name="maxDecodedLength"/> bytes,
    /// so a small encoding cannot expand past the size limit.
    /// </summary>
    private QPackStatus ReadString(
        ref ReadOnlySpan<byte> rest, int prefixBits, int scratchOffset, long maxDecodedLength, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (QPackIntegers.TryReadStringHeader(rest, prefixBits, out bool huffman, out ulong length, out int consumed) != QPackReadStatus.Success
            || length > (ulong)(rest.Length - consumed))
        {
            return QPackStatus.DecompressionFailed;
        }

        ReadOnlySpan<byte> encoded = rest.Slice(consumed, (int)length);
        rest = rest[(consumed + (int)length)..];
        if (!huffman)
        {
            value = encoded;
            return encoded.Length <= maxDecodedLength ? QPackStatus.Success : QPackStatus.FieldSectionTooLarge;
        }

        // Shortest code is 5 bits, so n encoded bytes decode to at most 8n/5 bytes.
        long bound = Math.Min(encoded.Length * 8L / 5, Math.Min(maxDecodedLength, Array.MaxLength - scratchOffset));
        Span<byte> destination = EnsureScratch(scratchOffset, (int)Math.Max(bound, 0));
        HuffmanDecodeStatus status = Huffman.Decode(encoded, destination, out int written);
        if (status == HuffmanDecodeStatus.DestinationTooSmall)
        {
            // Only the budget can make the destination too small; the bound above fits any valid decoding.
            return QPackStatus.FieldSectionTooLarge;
        }

        if (status != HuffmanDecodeStatus.Success)
        {
            return QPackStatus.DecompressionFailed;
        }

        value = destination[..written];
        return QPackStatus.Success;
    }

    private Span<byte> EnsureScratch(int offset, int length)
    {
        int needed = offset + length;
        if (needed > _scratch.Length)
        {
            var grown = new byte[Math.Max(needed, Math.Min(_scratch.Length * 2, Array.MaxLength))];
            // Keeps a Huffman name already decoded at the front; a raw name lives in the input, and the scratch may be shorter than it.
            _scratch.AsSpan(0, Math.Min(offset, _scratch.Length)).CopyTo(grown);
            _scratch = grown;
        }

        return _scratch.AsSpan(offset, length);
    }
}
