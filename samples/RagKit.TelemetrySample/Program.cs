// Exports RagKit's metrics and traces to the console with OpenTelemetry.
// Run: dotnet run --project samples/RagKit.TelemetrySample
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using RagKit;
using RagKit.Diagnostics;

using TracerProvider tracing = Sdk.CreateTracerProviderBuilder()
    .AddSource(RagKitTelemetry.ActivitySourceName)
    .AddConsoleExporter()
    .Build();
using MeterProvider metrics = Sdk.CreateMeterProviderBuilder()
    .AddMeter(RagKitTelemetry.MeterName)
    .AddConsoleExporter()
    .Build();

var services = new ServiceCollection();
services.AddRagKit().AddOnnxEmbeddings();
await using (ServiceProvider sp = services.BuildServiceProvider())
{
    IRagPipeline rag = sp.GetRequiredService<IRagPipeline>();
    var scope = new RagScope("acme", "handbook");
    await rag.IngestAsync(scope, [new RagDocument("leave", "Employees get 25 days of paid leave per year. Part-time staff get leave pro rata.")], null, default);
    foreach (string q in new[] { "How many days of leave do I get?", "How many days of leave do I get?", "How many leave days do I get?" })
    {
        RagAnswer a = await rag.AskAsync(q, new AskOptions(scope), default);
        Console.WriteLine($"{q} -> {a.Report}");
    }

    await rag.IngestAsync(scope, [new RagDocument("leave", "Employees get 28 days of paid leave per year.")], null, default); // invalidates
}

metrics.ForceFlush();
