using System.Collections.Concurrent;
using System.Net;
using System.Numerics.Tensors;
using System.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Qdrant.Client.Grpc;

namespace RagKit.Qdrant.Tests;

/// <summary>
/// A wire-level STAND-IN for a Qdrant server, NOT a Qdrant implementation. No Qdrant server can be installed on the
/// machines this suite runs on, so to keep the adapter honest the tests start this in-process gRPC server (Kestrel,
/// HTTP/2 cleartext on 127.0.0.1) that speaks the real Qdrant protocol — the method descriptors, requests and responses
/// come from Qdrant.Client — for ONLY the calls RagKit.Qdrant makes. Search is brute-force cosine; filters support the
/// conditions RagKit sends (keyword match, any-of, is-empty, integer range, nested filters). Anything else answers
/// Unimplemented, so a new call in the adapter shows up as a failing test here.
/// </summary>
public sealed class QdrantWireStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private QdrantWireStandIn(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The endpoint to give QdrantVectorStoreOptions.</summary>
    public Uri Endpoint { get; }

    /// <summary>The collections and their points, for assertions.</summary>
    public StandInState State => _app.Services.GetRequiredService<StandInState>();

    public static async Task<QdrantWireStandIn> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton<StandInState>();
        WebApplication app = builder.Build();
        app.MapGrpcService<StandInCollections>();
        app.MapGrpcService<StandInPoints>();
        app.MapGrpcService<StandInHealth>();
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new QdrantWireStandIn(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    public sealed class StandInCollection(ulong size)
    {
        public ulong Size { get; } = size;

        public ConcurrentDictionary<string, PointStruct> Points { get; } = new();

        public ConcurrentDictionary<string, byte> IndexedFields { get; } = new();
    }

    public sealed class StandInState
    {
        public ConcurrentDictionary<string, StandInCollection> Collections { get; } = new();

        public StandInCollection Get(string name) => Collections.TryGetValue(name, out StandInCollection? c)
            ? c
            : throw new RpcException(new Status(StatusCode.NotFound, $"Not found: Collection `{name}` doesn't exist!"));
    }

    /// <summary>Binds a service's methods with the descriptors Qdrant.Client's generated client uses.</summary>
    private static Method<TReq, TResp> ClientMethod<TReq, TResp>(Type client, string name)
        where TReq : class
        where TResp : class
        => (Method<TReq, TResp>)client.GetField("__Method_" + name, BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    [BindServiceMethod(typeof(StandInCollections), nameof(BindService))]
    // Grpc.AspNetCore binds virtual methods declared by the type named in [BindServiceMethod], as in generated service bases.
    public class StandInCollections(StandInState state)
    {
        public static void BindService(ServiceBinderBase binder, StandInCollections? service)
        {
            Type c = typeof(Collections);
            binder.AddMethod(ClientMethod<CollectionExistsRequest, CollectionExistsResponse>(c, "CollectionExists"), (UnaryServerMethod<CollectionExistsRequest, CollectionExistsResponse>)null!);
            binder.AddMethod(ClientMethod<GetCollectionInfoRequest, GetCollectionInfoResponse>(c, "Get"), (UnaryServerMethod<GetCollectionInfoRequest, GetCollectionInfoResponse>)null!);
            binder.AddMethod(ClientMethod<CreateCollection, CollectionOperationResponse>(c, "Create"), (UnaryServerMethod<CreateCollection, CollectionOperationResponse>)null!);
        }

        public virtual Task<CollectionExistsResponse> CollectionExists(CollectionExistsRequest request, ServerCallContext context) =>
            Task.FromResult(new CollectionExistsResponse { Result = new global::Qdrant.Client.Grpc.CollectionExists { Exists = state.Collections.ContainsKey(request.CollectionName) } });

        public virtual Task<GetCollectionInfoResponse> Get(GetCollectionInfoRequest request, ServerCallContext context)
        {
            StandInCollection c = state.Get(request.CollectionName);
            var info = new CollectionInfo
            {
                Status = CollectionStatus.Green,
                PointsCount = (ulong)c.Points.Count,
                Config = new CollectionConfig { Params = new CollectionParams { VectorsConfig = new VectorsConfig { Params = new VectorParams { Size = c.Size, Distance = Distance.Cosine } } } },
            };
            return Task.FromResult(new GetCollectionInfoResponse { Result = info });
        }

        public virtual Task<CollectionOperationResponse> Create(CreateCollection request, ServerCallContext context)
        {
            VectorParams? p = request.VectorsConfig?.Params;
            if (p is null || p.Size == 0 || p.Distance != Distance.Cosine)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "stand-in: only a single unnamed cosine vector is supported"));
            }

            if (!state.Collections.TryAdd(request.CollectionName, new StandInCollection(p.Size)))
            {
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"Collection `{request.CollectionName}` already exists!"));
            }

            return Task.FromResult(new CollectionOperationResponse { Result = true });
        }
    }

    [BindServiceMethod(typeof(StandInHealth), nameof(BindService))]
    public class StandInHealth
    {
        public static void BindService(ServiceBinderBase binder, StandInHealth? service) =>
            binder.AddMethod(ClientMethod<HealthCheckRequest, HealthCheckReply>(typeof(global::Qdrant.Client.Grpc.Qdrant), "HealthCheck"), (UnaryServerMethod<HealthCheckRequest, HealthCheckReply>)null!);

        public virtual Task<HealthCheckReply> HealthCheck(HealthCheckRequest request, ServerCallContext context) =>
            Task.FromResult(new HealthCheckReply { Title = "qdrant stand-in", Version = "0.0.0" });
    }

    [BindServiceMethod(typeof(StandInPoints), nameof(BindService))]
    public class StandInPoints(StandInState state)
    {
        public static void BindService(ServiceBinderBase binder, StandInPoints? service)
        {
            Type c = typeof(Points);
            binder.AddMethod(ClientMethod<UpsertPoints, PointsOperationResponse>(c, "Upsert"), (UnaryServerMethod<UpsertPoints, PointsOperationResponse>)null!);
            binder.AddMethod(ClientMethod<DeletePoints, PointsOperationResponse>(c, "Delete"), (UnaryServerMethod<DeletePoints, PointsOperationResponse>)null!);
            binder.AddMethod(ClientMethod<QueryPoints, QueryResponse>(c, "Query"), (UnaryServerMethod<QueryPoints, QueryResponse>)null!);
            binder.AddMethod(ClientMethod<ScrollPoints, ScrollResponse>(c, "Scroll"), (UnaryServerMethod<ScrollPoints, ScrollResponse>)null!);
            binder.AddMethod(ClientMethod<CreateFieldIndexCollection, PointsOperationResponse>(c, "CreateFieldIndex"), (UnaryServerMethod<CreateFieldIndexCollection, PointsOperationResponse>)null!);
        }

        private static PointsOperationResponse Completed() => new() { Result = new UpdateResult { Status = UpdateStatus.Completed } };

        public virtual Task<PointsOperationResponse> Upsert(UpsertPoints request, ServerCallContext context)
        {
            StandInCollection c = state.Get(request.CollectionName);
            foreach (PointStruct p in request.Points)
            {
                int length = Dense(p.Vectors.Vector).Length;
                if ((ulong)length != c.Size)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {c.Size}, got {length}"));
                }

                c.Points[Key(p.Id)] = p.Clone();
            }

            return Task.FromResult(Completed());
        }

        public virtual Task<PointsOperationResponse> Delete(DeletePoints request, ServerCallContext context)
        {
            StandInCollection c = state.Get(request.CollectionName);
            if (request.Points.PointsSelectorOneOfCase != PointsSelector.PointsSelectorOneOfOneofCase.Filter)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "stand-in: delete by filter only"));
            }

            foreach (KeyValuePair<string, PointStruct> kv in c.Points)
            {
                if (Matches(request.Points.Filter, kv.Value.Payload))
                {
                    c.Points.TryRemove(kv.Key, out _);
                }
            }

            return Task.FromResult(Completed());
        }

        public virtual Task<QueryResponse> Query(QueryPoints request, ServerCallContext context)
        {
            StandInCollection c = state.Get(request.CollectionName);
            if (request.Query?.VariantCase != global::Qdrant.Client.Grpc.Query.VariantOneofCase.Nearest || request.Query.Nearest.VariantCase != VectorInput.VariantOneofCase.Dense)
            {
                throw new RpcException(new Status(StatusCode.Unimplemented, "stand-in: nearest dense queries only"));
            }

            float[] q = request.Query.Nearest.Dense.Data.ToArray();
            if ((ulong)q.Length != c.Size)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {c.Size}, got {q.Length}"));
            }

            ulong limit = request.HasLimit ? request.Limit : 10;
            var response = new QueryResponse();
            IEnumerable<ScoredPoint> scored = c.Points.Values
                .Where(p => request.Filter is null || Matches(request.Filter, p.Payload))
                .Select(p => new ScoredPoint { Id = p.Id, Score = TensorPrimitives.CosineSimilarity(q, Dense(p.Vectors.Vector)), Payload = { p.Payload } })
                .Where(p => !request.HasScoreThreshold || p.Score >= request.ScoreThreshold)
                .OrderByDescending(p => p.Score)
                .Take((int)limit);
            response.Result.AddRange(scored);
            return Task.FromResult(response);
        }

        public virtual Task<ScrollResponse> Scroll(ScrollPoints request, ServerCallContext context)
        {
            StandInCollection c = state.Get(request.CollectionName);
            uint limit = request.HasLimit ? request.Limit : 10;
            var response = new ScrollResponse();
            foreach (PointStruct p in c.Points.Values.Where(p => request.Filter is null || Matches(request.Filter, p.Payload)).OrderBy(p => p.Id.Uuid, StringComparer.Ordinal).Take((int)limit))
            {
                var r = new RetrievedPoint { Id = p.Id };
                foreach (KeyValuePair<string, Value> kv in p.Payload)
                {
                    if (request.WithPayload?.Include is not { } include || include.Fields.Contains(kv.Key))
                    {
                        r.Payload[kv.Key] = kv.Value;
                    }
                }

                response.Result.Add(r);
            }

            return Task.FromResult(response);
        }

        public virtual Task<PointsOperationResponse> CreateFieldIndex(CreateFieldIndexCollection request, ServerCallContext context)
        {
            state.Get(request.CollectionName).IndexedFields[request.FieldName] = 0;
            return Task.FromResult(Completed());
        }

        private static string Key(PointId id) => id.HasUuid ? id.Uuid : id.Num.ToString(System.Globalization.CultureInfo.InvariantCulture);

        private static float[] Dense(Vector v) => v.VectorCase == Vector.VectorOneofCase.Dense ? v.Dense.Data.ToArray() :
#pragma warning disable CS0612, CS0618 // the deprecated Data field is what older clients send
            v.Data.ToArray();
#pragma warning restore CS0612, CS0618

        private static bool Matches(Filter f, IDictionary<string, Value> payload) =>
            f.Must.All(c => Matches(c, payload))
            && !f.MustNot.Any(c => Matches(c, payload))
            && (f.Should.Count == 0 || f.Should.Any(c => Matches(c, payload)));

        private static bool Matches(Condition c, IDictionary<string, Value> payload)
        {
            switch (c.ConditionOneOfCase)
            {
                case Condition.ConditionOneOfOneofCase.Filter:
                    return Matches(c.Filter, payload);
                case Condition.ConditionOneOfOneofCase.IsEmpty:
                    return !payload.TryGetValue(c.IsEmpty.Key, out Value? v) || v.KindCase == Value.KindOneofCase.NullValue
                        || (v.KindCase == Value.KindOneofCase.ListValue && v.ListValue.Values.Count == 0);
                case Condition.ConditionOneOfOneofCase.Field:
                    FieldCondition fc = c.Field;
                    if (!payload.TryGetValue(fc.Key, out Value? value))
                    {
                        return false;
                    }

                    IEnumerable<Value> values = value.KindCase == Value.KindOneofCase.ListValue ? value.ListValue.Values : [value];
                    if (fc.Match is { } m)
                    {
                        return m.MatchValueCase switch
                        {
                            Match.MatchValueOneofCase.Keyword => values.Any(v => v.StringValue == m.Keyword),
                            Match.MatchValueOneofCase.Keywords => values.Any(v => m.Keywords.Strings.Contains(v.StringValue)),
                            _ => throw new RpcException(new Status(StatusCode.Unimplemented, $"stand-in: match {m.MatchValueCase}")),
                        };
                    }

                    if (fc.Range is { } r)
                    {
                        return values.Any(v => (!r.HasGte || v.IntegerValue >= r.Gte) && (!r.HasGt || v.IntegerValue > r.Gt) && (!r.HasLte || v.IntegerValue <= r.Lte) && (!r.HasLt || v.IntegerValue < r.Lt));
                    }

                    throw new RpcException(new Status(StatusCode.Unimplemented, "stand-in: field condition"));
                default:
                    throw new RpcException(new Status(StatusCode.Unimplemented, $"stand-in: condition {c.ConditionOneOfCase}"));
            }
        }
    }
}
