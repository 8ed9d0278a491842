# Runs wstest (autobahntestsuite 0.8.2, Python 2.7) with its memory kept
# bounded; scripts/lib/wstest-bootstrap.sh's launcher and the Docker runner
# of scripts/autobahn.sh start wstest through this file.
#
#   python wstest_main.py [SITE_DIR ...] -- WSTEST_ARGS...
#
# Each SITE_DIR is added with site.addsitedir (the bootstrap's private
# site-packages; none in the Docker image, where wstest is installed).
#
# Why: under PyPy, a zlib stream's memory is freed only when the garbage
# collector finalizes the stream object, and the collector does not count
# that memory when it decides to run. The permessage-deflate cases (12.*,
# 13.*) open thousands of streams, so without help wstest grows past any
# machine's memory (24 GiB and more). A full collection every
# WSTEST_GC_INTERVAL seconds (default 0.5; 0 turns it off), on the
# reactor's own thread, frees them while the run goes on. Under CPython,
# reference counting frees each stream at once; the collection costs
# little there.
#
# Environment:
#   WSTEST_GC_INTERVAL  seconds between full collections (default 0.5; 0: none)
#   WSTEST_PEAK_FILE    when set, the process's peak resident memory in KiB
#                       (getrusage's ru_maxrss) is written there at exit
import sys


def main():
    args = sys.argv[1:]
    if "--" not in args:
        sys.stderr.write("usage: wstest_main.py [SITE_DIR ...] -- WSTEST_ARGS...\n")
        return 2
    split = args.index("--")
    import site
    for path in args[:split]:
        site.addsitedir(path)
    sys.argv = ["wstest"] + args[split + 1:]

    import os
    peak_file = os.environ.get("WSTEST_PEAK_FILE")
    if peak_file:
        import atexit
        import resource

        def write_peak():
            usage = resource.getrusage(resource.RUSAGE_SELF)
            with open(peak_file, "w") as f:
                f.write("%d\n" % usage.ru_maxrss)

        atexit.register(write_peak)

    # Importing wstest installs its Twisted reactor (choosereactor), so the
    # collection is scheduled on the reactor that run() then starts.
    from autobahntestsuite.wstest import run

    interval = float(os.environ.get("WSTEST_GC_INTERVAL", "0.5"))
    if interval > 0:
        import gc
        from twisted.internet import task
        task.LoopingCall(gc.collect).start(interval, now=False)
    return run()


if __name__ == "__main__":
    sys.exit(main())
