var e={fetch(){return new Response("Hello, World!",{headers:{"content-type":"text/plain; charset=utf-8"}})}};export{e as default};
