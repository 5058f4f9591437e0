namespace Engine.Transport.Http3;

/// <summary>Limits of the HTTP/3 server side. The defaults suit serving a game's web content and small API calls.</summary>
public sealed record Http3ServerOptions
{
    /// <summary>Largest decoded request field section (advertised as SETTINGS_MAX_FIELD_SECTION_SIZE); larger heads get 431. Default 16 KiB.</summary>
    public int MaxFieldSectionSize { get; init; } = 16 * 1024;

    /// <summary>Largest request body held for the handler; larger requests get 413. Default 1 MiB.</summary>
    public int MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid limit.</summary>
    public void Validate()
    {
        if (MaxFieldSectionSize is < 1024 or > 1024 * 1024)
        {
            throw new ArgumentException($"MaxFieldSectionSize must be 1 KiB–1 MiB (got {MaxFieldSectionSize}).", nameof(MaxFieldSectionSize));
        }

        if (MaxRequestBodyBytes is < 0 or > 64 * 1024 * 1024)
        {
            throw new ArgumentException($"MaxRequestBodyBytes must be 0–64 MiB (got {MaxRequestBodyBytes}).", nameof(MaxRequestBodyBytes));
        }
    }
}

/// <summary>Serves requests of an <see cref="Http3ServerConnection"/>. Called on the connection's thread (the driver's, under its lock).</summary>
public interface IHttp3RequestHandler
{
    /// <summary>
    /// A complete request (head and body, its stream ended) arrived. Respond now or later through
    /// <paramref name="request"/>'s methods — always on the connection's thread. An exception
    /// fails only this request (500, or H3_INTERNAL_ERROR once the response started).
    /// </summary>
    void OnRequest(Http3ServerRequest request);
}

/// <summary>A decoded HTTP/3 request head, for handlers that answer with a whole response at once.</summary>
internal sealed record Http3Request(long StreamId, string Method, string Scheme, string Authority, string Path);

/// <summary>A whole response: status, headers (lowercase names) and body.</summary>
public sealed record Http3Response(int Status, IReadOnlyList<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Body);

/// <summary>Adapts a function from request head to whole response.</summary>
internal sealed class Http3WholeResponseHandler(Func<Http3Request, Http3Response> respond) : IHttp3RequestHandler
{
    public void OnRequest(Http3ServerRequest request) =>
        request.Respond(respond(new Http3Request(request.StreamId, request.Method, request.Scheme, request.Authority, request.Path)));
}
