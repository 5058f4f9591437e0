using System.Net;
using Engine.Transport.Http3;
using Engine.Transport.Io;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Engine.Hosting.Http3;

/// <summary>
/// The ASP.NET Core features of one HTTP/3 request, so it runs through the same pipeline (static
/// files, endpoints, middleware) as the HTTPS requests Kestrel serves. Calls that touch the
/// request stream go through <see cref="Http3Server.Invoke"/> onto the driver's thread.
/// </summary>
internal sealed class Http3RequestContext : IHttpRequestFeature, IHttpResponseFeature, IHttpConnectionFeature, IHttpRequestLifetimeFeature, IDisposable
{
    private readonly Http3Server _server;
    private readonly Http3ServerRequest _request;
    private readonly CancellationTokenSource _aborted = new();
    private readonly List<(Func<object, Task> Callback, object State)> _onStarting = [];
    private readonly List<(Func<object, Task> Callback, object State)> _onCompleted = [];
    private readonly Http3ResponseBodyStream _body;
    private Task? _starting;

    public Http3RequestContext(Http3Server server, Http3ServerRequest request, string pathPart, string query)
    {
        _server = server;
        _request = request;
        _body = new Http3ResponseBodyStream(this);
        Method = request.Method;
        Scheme = request.Scheme;
        Path = PathString.FromUriComponent(pathPart).Value ?? "/";
        QueryString = query;
        RawTarget = request.Path;
        foreach ((string name, string value) in request.Headers)
        {
            Headers.Append(name, value);
        }

        if (!Headers.ContainsKey("host") && request.Authority.Length > 0)
        {
            Headers.Host = request.Authority;
        }

        Body = request.Body.IsEmpty ? Stream.Null : new MemoryStream(request.Body.ToArray(), writable: false);
        RemoteIpAddress = request.RemoteAddress.Address;
        RemotePort = request.RemoteAddress.Port;
        LocalIpAddress = server.LocalEndPoint.Address;
        LocalPort = server.LocalEndPoint.Port;
        ConnectionId = "h3-" + request.ConnectionId.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        ResponseBody = new StreamResponseBodyFeature(_body);

        // Runs on the driver's thread: wake writers and cancel RequestAborted off that thread.
        request.Writable = _ => _body.Signal();
        request.Aborted = _ =>
        {
            _body.Signal();
            ThreadPool.UnsafeQueueUserWorkItem(static context => context.CancelRequestAborted(), this, preferLocal: false);
        };
    }

    public StreamResponseBodyFeature ResponseBody { get; }

    // IHttpRequestFeature
    public string Protocol { get; set; } = "HTTP/3";

    public string Scheme { get; set; }

    public string Method { get; set; }

    public string PathBase { get; set; } = string.Empty;

    public string Path { get; set; }

    public string QueryString { get; set; }

    public string RawTarget { get; set; }

    public IHeaderDictionary Headers { get; set; } = new HeaderDictionary();

    public Stream Body { get; set; }

    // IHttpResponseFeature
    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    public string? ReasonPhrase { get; set; }

    IHeaderDictionary IHttpResponseFeature.Headers { get; set; } = new HeaderDictionary();

    [Obsolete("Use IHttpResponseBodyFeature.")]
    Stream IHttpResponseFeature.Body
    {
        get => _body;
        set => throw new NotSupportedException("Replace IHttpResponseBodyFeature instead.");
    }

    public bool HasStarted { get; private set; }

    // IHttpConnectionFeature
    public string ConnectionId { get; set; }

    public IPAddress? RemoteIpAddress { get; set; }

    public IPAddress? LocalIpAddress { get; set; }

    public int RemotePort { get; set; }

    public int LocalPort { get; set; }

    // IHttpRequestLifetimeFeature
    public CancellationToken RequestAborted
    {
        get => _aborted.Token;
        set => throw new NotSupportedException();
    }

    public void Abort() => Invoke(request =>
    {
        request.Abort(Http3ErrorCode.InternalError);
        return 0;
    });

    public void OnStarting(Func<object, Task> callback, object state) => _onStarting.Add((callback, state));

    public void OnCompleted(Func<object, Task> callback, object state) => _onCompleted.Add((callback, state));

    public IFeatureCollection CreateFeatures()
    {
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(this);
        features.Set<IHttpResponseFeature>(this);
        features.Set<IHttpResponseBodyFeature>(ResponseBody);
        features.Set<IHttpConnectionFeature>(this);
        features.Set<IHttpRequestLifetimeFeature>(this);
        return features;
    }

    public T Invoke<T>(Func<Http3ServerRequest, T> action)
    {
        T result = default!;
        _server.Invoke(() => result = action(_request));
        return result;
    }

    /// <summary>Runs the OnStarting callbacks (last registered first, as Kestrel does) and sends the HEADERS frame, once.</summary>
    public Task StartResponseAsync() => _starting ??= StartCoreAsync();

    /// <summary>Ends the response: headers if none went yet, then the FIN.</summary>
    public async Task CompleteAsync()
    {
        await ResponseBody.CompleteAsync().ConfigureAwait(false);
        await StartResponseAsync().ConfigureAwait(false);
        Invoke(request =>
        {
            request.Complete();
            return 0;
        });
    }

    /// <summary>Answers a request the pipeline failed before starting the response.</summary>
    public void ResetForError(int status)
    {
        StatusCode = status;
        ReasonPhrase = null;
        ((IHttpResponseFeature)this).Headers.Clear();
    }

    public async Task FireOnCompletedAsync()
    {
        for (int i = _onCompleted.Count - 1; i >= 0; i--)
        {
            await _onCompleted[i].Callback(_onCompleted[i].State).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _aborted.Dispose();
        _body.Dispose();
    }

    private void CancelRequestAborted()
    {
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The request already finished.
        }
    }

    private async Task StartCoreAsync()
    {
        for (int i = _onStarting.Count - 1; i >= 0; i--)
        {
            await _onStarting[i].Callback(_onStarting[i].State).ConfigureAwait(false);
        }

        HasStarted = true;
        var fields = new List<KeyValuePair<string, string>>();
        foreach ((string name, StringValues values) in ((IHttpResponseFeature)this).Headers)
        {
            string lower = name.ToLowerInvariant();
            foreach (string? value in values)
            {
                fields.Add(new(lower, value ?? string.Empty));
            }
        }

        Invoke(request =>
        {
            request.SendHeaders(StatusCode, fields);
            return 0;
        });
    }
}
