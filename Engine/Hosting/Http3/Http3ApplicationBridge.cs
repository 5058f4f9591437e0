using Engine.Telemetry;
using Engine.Transport.Http3;
using Engine.Transport.Io;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Engine.Hosting.Http3;

/// <summary>
/// Runs each complete HTTP/3 request through the ASP.NET Core application Kestrel runs, on the
/// thread pool (never on the driver's thread), and streams the response back.
/// </summary>
internal sealed class Http3ApplicationBridge<TContext>(IHttpApplication<TContext> application, ILogger logger) : IHttp3RequestHandler
    where TContext : notnull
{
    /// <summary>Set once the server exists (it needs this handler to be created).</summary>
    public Http3Server? Server { get; set; }

    public void OnRequest(Http3ServerRequest request)
    {
        Http3Server server = Server ?? throw new InvalidOperationException("The bridge has no server yet.");
        string target = request.Path;
        int query = target.IndexOf('?', StringComparison.Ordinal);
        string pathPart = query < 0 ? target : target[..query];
        if (request.Method == "CONNECT" || !pathPart.StartsWith('/'))
        {
            // Extended CONNECT (WebTransport) is not served here yet; asterisk and absolute forms are not used by browsers.
            request.Respond(new Http3Response(
                request.Method == "CONNECT" ? StatusCodes.Status501NotImplemented : StatusCodes.Status400BadRequest,
                [new("content-type", "text/plain; charset=utf-8")],
                "This HTTP/3 endpoint serves GET-style requests with an origin-form path."u8.ToArray()));
            return;
        }

        var context = new Http3RequestContext(server, request, pathPart, query < 0 ? string.Empty : target[query..]);
        ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Bridge.RunAsync(state.Context), (Bridge: this, Context: context), preferLocal: false);
    }

    private async Task RunAsync(Http3RequestContext context)
    {
        TContext? appContext = default;
        Exception? failure = null;
        try
        {
            appContext = application.CreateContext(context.CreateFeatures());
            await application.ProcessRequestAsync(appContext).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            failure = exception;
            Log.Http3RequestFailed(logger, context.Method, context.Path, exception);
        }

        try
        {
            if (failure is not null && !context.HasStarted)
            {
                context.ResetForError(StatusCodes.Status500InternalServerError);
            }

            if (failure is not null && context.HasStarted)
            {
                context.Abort();
            }
            else
            {
                await context.CompleteAsync().ConfigureAwait(false);
            }

            await context.FireOnCompletedAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away while we finished; nothing is left to tell it.
        }
        finally
        {
            if (appContext is not null)
            {
                application.DisposeContext(appContext, failure);
            }

            context.Dispose();
        }
    }
}
