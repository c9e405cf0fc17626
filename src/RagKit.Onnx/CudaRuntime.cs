using System.Runtime.InteropServices;

namespace RagKit.Onnx;

/// <summary>
/// The few CUDA runtime calls a replayed CUDA graph needs: device and pinned buffers at fixed addresses, and copies
/// into and out of them. ONNX Runtime's C# API has no copy into an existing device tensor, and a captured graph reads
/// its inputs from the addresses it was captured with. The runtime library is the one ONNX Runtime's CUDA provider
/// loaded (CUDA 13 or 12), found on the library path.
/// </summary>
internal static unsafe class CudaRuntime
{
    private const int HostToDevice = 1;
    private const int DeviceToHost = 2;

    private static readonly string[] LibraryNames =
        OperatingSystem.IsWindows() ? ["cudart64_13.dll", "cudart64_130.dll", "cudart64_12.dll"] : ["libcudart.so.13", "libcudart.so.12", "libcudart.so"];

    private static readonly Lazy<Api?> Loaded = new(Load);

    /// <summary>Whether a CUDA runtime library was found.</summary>
    public static bool IsAvailable => Loaded.Value is not null;

    public static void SetDevice(int device) => Check(Loaded.Value!.SetDevice(device), "cudaSetDevice");

    public static nint AllocateDevice(long bytes)
    {
        nint pointer;
        Check(Loaded.Value!.Malloc(&pointer, (nuint)bytes), "cudaMalloc");
        return pointer;
    }

    public static nint AllocatePinned(long bytes)
    {
        nint pointer;
        Check(Loaded.Value!.MallocHost(&pointer, (nuint)bytes), "cudaMallocHost");
        return pointer;
    }

    public static void FreeDevice(nint pointer)
    {
        if (pointer != 0)
        {
            _ = Loaded.Value!.Free(pointer);
        }
    }

    public static void FreePinned(nint pointer)
    {
        if (pointer != 0)
        {
            _ = Loaded.Value!.FreeHost(pointer);
        }
    }

    /// <summary>Copies from pinned host memory to the device; returns once the copy is done.</summary>
    public static void CopyToDevice(nint device, nint pinnedHost, long bytes) =>
        Check(Loaded.Value!.Memcpy(device, pinnedHost, (nuint)bytes, HostToDevice), "cudaMemcpy to device");

    /// <summary>Waits for all work on the device (the replayed graph included), then copies to pinned host memory.</summary>
    public static void CopyToHost(nint pinnedHost, nint device, long bytes)
    {
        Check(Loaded.Value!.DeviceSynchronize(), "cudaDeviceSynchronize");
        Check(Loaded.Value!.Memcpy(pinnedHost, device, (nuint)bytes, DeviceToHost), "cudaMemcpy to host");
    }

    private static void Check(int status, string call)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"{call} failed with CUDA error {status}.");
        }
    }

    private static Api? Load()
    {
        foreach (string name in LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out nint library))
            {
                try
                {
                    return new Api(library);
                }
                catch (EntryPointNotFoundException)
                {
                    NativeLibrary.Free(library);
                }
            }
        }

        return null;
    }

    private sealed class Api(nint library)
    {
        public readonly delegate* unmanaged<int, int> SetDevice = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(library, "cudaSetDevice");
        public readonly delegate* unmanaged<nint*, nuint, int> Malloc = (delegate* unmanaged<nint*, nuint, int>)NativeLibrary.GetExport(library, "cudaMalloc");
        public readonly delegate* unmanaged<nint*, nuint, int> MallocHost = (delegate* unmanaged<nint*, nuint, int>)NativeLibrary.GetExport(library, "cudaMallocHost");
        public readonly delegate* unmanaged<nint, int> Free = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "cudaFree");
        public readonly delegate* unmanaged<nint, int> FreeHost = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(library, "cudaFreeHost");
        public readonly delegate* unmanaged<nint, nint, nuint, int, int> Memcpy = (delegate* unmanaged<nint, nint, nuint, int, int>)NativeLibrary.GetExport(library, "cudaMemcpy");
        public readonly delegate* unmanaged<int> DeviceSynchronize = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "cudaDeviceSynchronize");
    }
}
