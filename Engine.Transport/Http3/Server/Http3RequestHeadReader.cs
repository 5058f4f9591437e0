using System.Text;
using Engine.Transport.Http3.QPack;

namespace Engine.Transport.Http3;

/// <summary>
/// Collects a request's decoded field lines and checks the rules QPACK leaves to HTTP/3
/// (RFC 9114 §4.2, §4.3.1): lowercase names, valid values, known pseudo-headers, each once and
/// before every regular field, no connection-specific fields. The first violation is kept in
/// <see cref="Problem"/> and makes the request malformed (H3_MESSAGE_ERROR).
/// </summary>
internal struct Http3RequestHeadReader : IQPackHeaderHandler
{
    private List<KeyValuePair<string, string>>? _fields;
    private bool _regularSeen;

    private string?[]? _pseudoHeaders;

    public readonly string? Method => _pseudoHeaders?[0];

    public readonly string? Scheme => _pseudoHeaders?[1];

    public readonly string? Authority => _pseudoHeaders?[2];

    public readonly string? Path => _pseudoHeaders?[3];

    public readonly string? Protocol => _pseudoHeaders?[4];

    /// <summary>At least one pseudo-header arrived (a trailer section must have none).</summary>
    public readonly bool HasPseudoHeaders => _pseudoHeaders is not null;

    /// <summary>The content-length field, when present and well-formed.</summary>
    public long? ContentLength { get; private set; }

    /// <summary>What makes the head malformed, or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>Regular fields in arrival order (names lowercase).</summary>
    public readonly IReadOnlyList<KeyValuePair<string, string>> Fields => _fields ?? (IReadOnlyList<KeyValuePair<string, string>>)[];

    public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Problem is not null)
        {
            return;
        }

        if (!QPackValidation.IsValidFieldName(name))
        {
            Problem = "a field name is not a lowercase token";
            return;
        }

        if (!QPackValidation.IsValidFieldValue(value))
        {
            Problem = "a field value holds NUL, CR or LF";
            return;
        }

        if (name[0] == (byte)':')
        {
            OnPseudoHeader(name, value);
            return;
        }

        _regularSeen = true;
        if (name.SequenceEqual("connection"u8) || name.SequenceEqual("keep-alive"u8) || name.SequenceEqual("proxy-connection"u8)
            || name.SequenceEqual("transfer-encoding"u8) || name.SequenceEqual("upgrade"u8))
        {
            Problem = "connection-specific fields are not allowed in HTTP/3";
            return;
        }

        if (name.SequenceEqual("te"u8) && !value.SequenceEqual("trailers"u8))
        {
            Problem = "te may only be \"trailers\"";
            return;
        }

        string text = Encoding.Latin1.GetString(value);
        if (name.SequenceEqual("content-length"u8))
        {
            if (!long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long length)
                || (ContentLength is { } previous && previous != length))
            {
                Problem = "content-length is not one non-negative number";
                return;
            }

            ContentLength = length;
        }

        (_fields ??= []).Add(new(Encoding.ASCII.GetString(name), text));
    }

    /// <summary>Checks the pseudo-headers a request needs (RFC 9114 §4.3.1); sets <see cref="Problem"/> when one is missing.</summary>
    public void CheckComplete()
    {
        if (Problem is not null)
        {
            return;
        }

        if (Method is null)
        {
            Problem = ":method is missing";
        }
        else if (Method == "CONNECT" && Protocol is null)
        {
            if (Authority is null || Scheme is not null || Path is not null)
            {
                Problem = "CONNECT needs :authority and no :scheme or :path";
            }
        }
        else if (Scheme is null || string.IsNullOrEmpty(Path))
        {
            Problem = ":scheme and a non-empty :path are required";
        }
        else if (Protocol is not null && Method != "CONNECT")
        {
            Problem = ":protocol is only allowed with CONNECT";
        }
    }

    private void OnPseudoHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (_regularSeen)
        {
            Problem = "a pseudo-header follows a regular field";
            return;
        }

        int index = PseudoHeaderIndex(name);
        _pseudoHeaders ??= new string?[5];
        if (index < 0)
        {
            Problem = "unknown pseudo-header " + Encoding.ASCII.GetString(name);
        }
        else if (_pseudoHeaders[index] is not null)
        {
            Problem = "duplicate pseudo-header " + Encoding.ASCII.GetString(name);
        }
        else
        {
            _pseudoHeaders[index] = Encoding.ASCII.GetString(value);
        }
    }

    private static int PseudoHeaderIndex(ReadOnlySpan<byte> name) =>
        name.SequenceEqual(":method"u8) ? 0
        : name.SequenceEqual(":scheme"u8) ? 1
        : name.SequenceEqual(":authority"u8) ? 2
        : name.SequenceEqual(":path"u8) ? 3
        : name.SequenceEqual(":protocol"u8) ? 4
        : -1;
}
